//! Seeded recordings of a made-up server, for benchmarks and scale tests.

use super::rng::Rng;
use std::collections::BinaryHeap;
use std::io::{self, Write};

/// Where a simulated task is in its life.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Spawn,
    Enter,
    Exit,
    Park,
    Wake,
    DropEnter,
    DropExit,
    Close,
    /// A resource (never spawned): entered, exited, closed.
    ResEnter,
    ResExit,
    ResClose,
}

struct Sim {
    id: u64,
    kind: u8,
    step: Step,
    polls_left: u32,
    task_id: u64,
}

/// Writes a recording of `tasks` tasks, the same bytes for the same `seed`.
///
/// About 64 tasks are alive at once: mostly unnamed async tasks (1984-byte futures) of 1 to
/// 20 short polls each, with waker clones, drops and wakes (2 in 100 answered 1-20 ms
/// late); 2 in 1000 polls run 15-120 ms of CPU inline; some `spawn_blocking` closures and named tasks; resources (ids never
/// spawned) entered and closed; two worker launch tasks and a `block_on` alive throughout.
/// Span ids come from a slab, reused after a close with a new generation in the high bits,
/// so many exceed 2^53. Each task is about 5.5 KB of JSON (38 000 tasks: ~210 MB).
pub fn generate_recording(out: &mut impl Write, tasks: usize, seed: u64) -> io::Result<()> {
    let mut rng = Rng::new(seed ^ 0x5eed_0fc0_ffee);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut t: u64 = 1_795_000_000_000_000_000;
    writeln!(buf, "{{\"v\":1}}")?;
    // The runtime: the main block_on and two workers, entered for good (span ids 1-3).
    for (i, fields) in [
        r#"[{"name":"kind","value":"block_on"},{"name":"task.name","value":""},{"name":"task.id","value":1},{"name":"size.bytes","value":624}]"#,
        r#"[{"name":"kind","value":"blocking"},{"name":"task.name","value":""},{"name":"task.id","value":2},{"name":"fn","value":"tokio::runtime::scheduler::multi_thread::worker::Launch::launch::{{closure}}"},{"name":"size.bytes","value":8}]"#,
        r#"[{"name":"kind","value":"blocking"},{"name":"task.name","value":""},{"name":"task.id","value":3},{"name":"fn","value":"tokio::runtime::scheduler::multi_thread::worker::Launch::launch::{{closure}}"},{"name":"size.bytes","value":8}]"#,
    ]
    .iter()
    .enumerate()
    {
        let id = i as u64 + 1;
        t += 20_000;
        write_at(&mut buf, "Spawn", id, t, Some(fields))?;
        t += 5_000;
        write_at(&mut buf, "Enter", id, t, None)?;
    }
    let mut next_task_id = 4u64;
    // Slab: free slots with their generation.
    let mut free: Vec<(u64, u64)> = Vec::new();
    let mut next_slot = 3u64;
    let mut alloc = |rng: &mut Rng, free: &mut Vec<(u64, u64)>| -> (u64, u64) {
        match free.pop() {
            Some((slot, generation)) => (slot, generation + 1),
            None => {
                next_slot += 1;
                (next_slot, rng.range(0, 1 << 10))
            }
        }
    };
    let id_of = |slot: u64, generation: u64| ((generation & 0x3_ffff) << 45) | slot;
    // Simulated tasks in a min-heap by the time of their next event.
    let mut heap: BinaryHeap<std::cmp::Reverse<(u64, usize)>> = BinaryHeap::new();
    let mut sims: Vec<Option<Sim>> = Vec::new();
    let mut spawned = 0usize;
    let concurrency = 64.min(tasks.max(1));
    let mut start_one = |rng: &mut Rng,
                         sims: &mut Vec<Option<Sim>>,
                         heap: &mut BinaryHeap<std::cmp::Reverse<(u64, usize)>>,
                         free: &mut Vec<(u64, u64)>,
                         at: u64,
                         resource: bool| {
        let (slot, generation) = alloc(rng, free);
        let kind = match rng.range(0, 100) {
            0..=84 => 0,  // unnamed async task
            85..=94 => 1, // spawn_blocking
            _ => 2,       // named async task
        };
        let sim = Sim {
            id: id_of(slot, generation),
            kind,
            step: if resource {
                Step::ResEnter
            } else {
                Step::Spawn
            },
            polls_left: rng.range(1, 21) as u32,
            task_id: 0,
        };
        let i = match sims.iter().position(Option::is_none) {
            Some(i) => {
                sims[i] = Some(sim);
                i
            }
            None => {
                sims.push(Some(sim));
                sims.len() - 1
            }
        };
        heap.push(std::cmp::Reverse((at, i)));
    };
    for _ in 0..concurrency {
        let at = t + rng.range(0, 1_000_000);
        start_one(&mut rng, &mut sims, &mut heap, &mut free, at, false);
        spawned += 1;
    }
    while let Some(std::cmp::Reverse((at, i))) = heap.pop() {
        t = t.max(at);
        let Some(sim) = sims[i].as_mut() else {
            continue;
        };
        let id = sim.id;
        let next = match sim.step {
            Step::Spawn => {
                sim.task_id = next_task_id;
                next_task_id += 1;
                let fields = match sim.kind {
                    0 => format!(
                        r#"[{{"name":"kind","value":"task"}},{{"name":"task.name","value":""}},{{"name":"task.id","value":{}}},{{"name":"size.bytes","value":1984}}]"#,
                        sim.task_id
                    ),
                    1 => format!(
                        r#"[{{"name":"kind","value":"blocking"}},{{"name":"task.name","value":""}},{{"name":"task.id","value":{}}},{{"name":"fn","value":"server::export::{{{{closure}}}}::{{{{closure}}}}"}},{{"name":"size.bytes","value":40}}]"#,
                        sim.task_id
                    ),
                    _ => format!(
                        r#"[{{"name":"kind","value":"task"}},{{"name":"task.name","value":"conn-{}"}},{{"name":"task.id","value":{}}},{{"name":"size.bytes","value":448}}]"#,
                        sim.task_id % 8,
                        sim.task_id
                    ),
                };
                write_at(&mut buf, "Spawn", id, t, Some(&fields))?;
                if sim.kind == 1 {
                    sim.polls_left = 1;
                }
                sim.step = Step::Enter;
                Some(t + rng.range(2_000, 200_000))
            }
            Step::Enter => {
                write_at(&mut buf, "Enter", id, t, None)?;
                sim.step = Step::Exit;
                let d = if sim.kind == 1 {
                    rng.range(1_000_000, 80_000_000)
                } else if rng.chance(2) {
                    rng.range(15_000_000, 120_000_000)
                } else {
                    rng.range(3_000, 200_000)
                };
                Some(t + d)
            }
            Step::Exit => {
                write_at(&mut buf, "Exit", id, t, None)?;
                sim.polls_left = sim.polls_left.saturating_sub(1);
                if sim.polls_left == 0 {
                    sim.step = Step::DropEnter;
                    Some(t + rng.range(1_000, 20_000))
                } else {
                    write_waker(&mut buf, id, t + 500, "\"Clone\"")?;
                    sim.step = Step::Park;
                    Some(t + rng.range(100_000, 30_000_000))
                }
            }
            Step::Park => {
                // Something the task awaits is ready: a resource poll, then the wake.
                sim.step = Step::Wake;
                if rng.chance(300) {
                    let at = t + rng.range(1_000, 50_000);
                    start_one(&mut rng, &mut sims, &mut heap, &mut free, at, true);
                }
                Some(t + rng.range(1_000, 100_000))
            }
            Step::Wake => {
                if rng.chance(900) {
                    write_waker(&mut buf, id, t, r#"{"Wake":{"self_wake":false}}"#)?;
                } else {
                    let self_wake = rng.chance(100);
                    write_waker(
                        &mut buf,
                        id,
                        t,
                        if self_wake {
                            r#"{"WakeByRef":{"self_wake":true}}"#
                        } else {
                            r#"{"WakeByRef":{"self_wake":false}}"#
                        },
                    )?;
                    write_waker(&mut buf, id, t + 300, "\"Drop\"")?;
                }
                sim.step = Step::Enter;
                // Now and then the runtime is busy: a wait of 1-20 ms.
                Some(if rng.chance(20) {
                    t + rng.range(1_000_000, 20_000_000)
                } else {
                    t + rng.range(2_000, 150_000)
                })
            }
            Step::DropEnter => {
                write_at(&mut buf, "Enter", id, t, None)?;
                sim.step = Step::DropExit;
                Some(t + rng.range(500, 5_000))
            }
            Step::DropExit => {
                write_at(&mut buf, "Exit", id, t, None)?;
                sim.step = Step::Close;
                Some(t + rng.range(500, 5_000))
            }
            Step::Close | Step::ResClose => {
                write_at(&mut buf, "Close", id, t, None)?;
                let slot = id & ((1 << 45) - 1);
                free.push((slot, (id >> 45) & 0x3_ffff));
                let was_task = sim.step == Step::Close;
                sims[i] = None;
                if was_task && spawned < tasks {
                    spawned += 1;
                    let at = t + rng.range(1_000, 400_000);
                    start_one(&mut rng, &mut sims, &mut heap, &mut free, at, false);
                }
                None
            }
            Step::ResEnter => {
                write_at(&mut buf, "Enter", id, t, None)?;
                sim.step = Step::ResExit;
                Some(t + rng.range(500, 5_000))
            }
            Step::ResExit => {
                write_at(&mut buf, "Exit", id, t, None)?;
                sim.step = Step::ResClose;
                Some(t + rng.range(1_000, 2_000_000))
            }
        };
        if let Some(at) = next {
            heap.push(std::cmp::Reverse((at, i)));
        }
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    Ok(())
}

fn write_at(
    buf: &mut Vec<u8>,
    kind: &str,
    id: u64,
    t: u64,
    fields: Option<&str>,
) -> io::Result<()> {
    let (secs, nanos) = (t / 1_000_000_000, t % 1_000_000_000);
    match fields {
        Some(f) => writeln!(
            buf,
            r#"{{"{kind}":{{"id":{id},"at":{{"secs_since_epoch":{secs},"nanos_since_epoch":{nanos}}},"fields":{f}}}}}"#
        ),
        None => writeln!(
            buf,
            r#"{{"{kind}":{{"id":{id},"at":{{"secs_since_epoch":{secs},"nanos_since_epoch":{nanos}}}}}}}"#
        ),
    }
}

fn write_waker(buf: &mut Vec<u8>, id: u64, t: u64, op: &str) -> io::Result<()> {
    let (secs, nanos) = (t / 1_000_000_000, t % 1_000_000_000);
    writeln!(
        buf,
        r#"{{"Waker":{{"id":{id},"op":{op},"at":{{"secs_since_epoch":{secs},"nanos_since_epoch":{nanos}}}}}}}"#
    )
}
