//! An ordered parallel map: the calling thread produces jobs and consumes results in job order,
//! worker threads do the work in between. At most `in_flight` jobs are out at once, so memory
//! is bounded by that many jobs and results, never by the input.

use anyhow::Result;
use std::collections::BTreeMap;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::Mutex;

/// Runs `work` on `threads` workers (each with its own state from `state`), feeding it the jobs
/// `next_job` returns until None, and hands each result to `consume` in job order.
pub fn ordered<J, R, S>(
    threads: usize,
    in_flight: usize,
    mut next_job: impl FnMut() -> Result<Option<J>>,
    state: impl Fn() -> Result<S> + Sync,
    work: impl Fn(&mut S, J) -> Result<R> + Sync,
    mut consume: impl FnMut(R) -> Result<()>,
) -> Result<()>
where
    J: Send,
    R: Send,
{
    let threads = threads.max(1);
    let in_flight = in_flight.max(threads);
    let (job_tx, job_rx) = sync_channel::<(u64, J)>(in_flight);
    let job_rx = Mutex::new(job_rx);
    let (res_tx, res_rx) = channel::<(u64, Result<R>)>();
    std::thread::scope(|s| -> Result<()> {
        for _ in 0..threads {
            let (job_rx, res_tx, state, work) = (&job_rx, res_tx.clone(), &state, &work);
            s.spawn(move || {
                let mut st = match state() {
                    Ok(st) => Some(st),
                    Err(e) => {
                        let _ = res_tx.send((u64::MAX, Err(e)));
                        None
                    }
                };
                loop {
                    let job = job_rx.lock().expect("job queue").recv();
                    let Ok((seq, j)) = job else { return };
                    let r = match st.as_mut() {
                        Some(st) => work(st, j),
                        None => Err(anyhow::anyhow!("worker could not start")),
                    };
                    if res_tx.send((seq, r)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        let mut job_tx = Some(job_tx);
        let mut sent = 0u64;
        let mut done = 0u64;
        let mut pending: BTreeMap<u64, R> = BTreeMap::new();
        let result = (|| -> Result<()> {
            loop {
                while job_tx.is_some() && sent - done < in_flight as u64 {
                    match next_job()? {
                        Some(j) => {
                            job_tx
                                .as_ref()
                                .expect("open")
                                .send((sent, j))
                                .map_err(|_| anyhow::anyhow!("the workers stopped"))?;
                            sent += 1;
                        }
                        None => job_tx = None,
                    }
                }
                if sent == done {
                    return Ok(());
                }
                let (seq, r) = res_rx.recv()?;
                pending.insert(seq, r?);
                while let Some(r) = pending.remove(&done) {
                    done += 1;
                    consume(r)?;
                }
            }
        })();
        // stop the workers: no more jobs; they drain what is queued and end
        drop(job_tx);
        drop(res_rx);
        result
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_order() {
        let mut i = 0u64;
        let mut got = Vec::new();
        super::ordered(
            3,
            5,
            || {
                i += 1;
                Ok((i <= 100).then_some(i))
            },
            || Ok(()),
            |_, j| {
                if j % 7 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                Ok(j * 2)
            },
            |r| {
                got.push(r);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(got, (1..=100).map(|x| x * 2).collect::<Vec<_>>());
    }

    #[test]
    fn an_error_stops_the_run() {
        let mut i = 0u64;
        let r = super::ordered(
            2,
            4,
            || {
                i += 1;
                Ok(Some(i))
            },
            || Ok(()),
            |_, j| {
                if j == 10 {
                    anyhow::bail!("job 10 failed")
                }
                Ok(j)
            },
            |_| Ok(()),
        );
        assert!(r.unwrap_err().to_string().contains("job 10"));
    }
}
