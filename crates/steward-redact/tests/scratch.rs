use steward_redact::detect::*;
use steward_redact::Subject;
#[test]
fn scratch() {
    let subject = Subject { name: "Beverley Mary Nash".into(), ..Default::default() };
    for text in ["for the carer's allowance form. Neighbours Mr and Mrs Oyelaran have been shopping for the patient.", "Neighbours Mr and Mrs Oyelaran have been shopping"] {
    let d = detect(text, &subject, &Rules::builtin(), &Options::default());
    for p in &d.proposals { println!("{:?} {:?} {}", p.entity, &text[p.start..p.end], p.rule); }
    println!("--");
    }
}
