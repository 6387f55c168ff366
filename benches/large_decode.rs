//! Large responses: a 10,000-bill search response decoded through the generated types
//! (`UtilityBillSearchEnvelope`: exact amounts, open enums, dates) and into `serde_json::Value`.
//! Throughput in MB/s (median of rounds) and the peak heap the decode adds, from a counting
//! allocator.
//!
//! `cargo bench --bench large_decode` (ROUNDS, BILLS override the defaults);
//! `cargo bench --bench large_decode -- sizes` prints the records' sizes;
//! `cargo bench --bench large_decode -- profile [value]` decodes once (typed, or into `Value`), for
//! callgrind.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use enkash::types;
use serde_json::Value;
use support::median;

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let now = IN_USE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc`/`realloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc` and `alloc`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `decode` and returns its result with the heap it added at its peak, over what was in use
/// before (the payload itself is not counted).
fn peak_added<T>(decode: impl FnOnce() -> T) -> (T, usize) {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let value = decode();
    (value, PEAK.load(Ordering::Relaxed) - before)
}

/// Resident memory a decode adds at its peak, measured in a fresh process (this binary run with
/// `resident typed|value FILE`), so no heap left over from earlier work hides it. From Linux's
/// `VmHWM`, reset through `/proc/self/clear_refs`; `None` where that is not available. Unlike the
/// heap count it leaves out capacity reserved but never touched.
fn peak_resident_added(kind: &str, body: &[u8]) -> Option<usize> {
    let path =
        std::env::temp_dir().join(format!("enkash-large-decode-{}.json", std::process::id()));
    std::fs::write(&path, body).ok()?;
    let output = std::process::Command::new(std::env::current_exe().ok()?)
        .args(["resident", kind])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    String::from_utf8(output.ok()?.stdout)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The child's side of [`peak_resident_added`]: prints the bytes added, or nothing.
fn report_resident(kind: &str, path: &str) {
    let kib = |field: &str| -> Option<usize> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|line| line.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let body = std::fs::read(path).expect("the payload file");
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        return;
    }
    let Some(before) = kib("VmRSS:") else { return };
    if kind == "typed" {
        black_box(decode_typed(&body));
    } else {
        black_box(serde_json::from_slice::<Value>(&body).expect("value"));
    }
    if let Some(peak) = kib("VmHWM:") {
        println!("{}", peak.saturating_sub(before) * 1024);
    }
}

/// A search response of `bills` bills: the spec's example bill, each with its own ids,
/// amounts, statuses (one in nine of them values the spec does not list) and dates.
fn search_response(bills: usize) -> Vec<u8> {
    let example = support::spec_example("UtilityPaymentV2Envelope");
    let template = example["payload"].clone();
    const PAYMENT: [&str; 9] = [
        "INIT",
        "SUCCESS",
        "FAILED",
        "PENDING",
        "REFUNDED",
        "IN_PROCESS",
        "SUCCESS",
        "SUCCESS",
        "COMPLETED",
    ];
    const BILLPAY: [&str; 9] = [
        "PENDING",
        "SUCCESS",
        "FAILED",
        "IN_PROGRESS",
        "ON_HOLD",
        "SUCCESS",
        "SUCCESS",
        "SUCCESS",
        "SETTLED",
    ];
    let amount = |n: usize| -> Value {
        serde_json::from_str(&format!("{}.{:02}", 100 + n * 37 % 99_900, n % 100))
            .expect("a number")
    };
    let payload: Vec<Value> = (0..bills)
        .map(|n| {
            let mut bill = template.clone();
            bill["utilityEnkashId"] = format!("UTIL-{:08}", n).into();
            bill["referenceId"] = format!("REF-{:012}", n * 7919).into();
            bill["billNumber"] = format!("BILL-{n}").into();
            bill["amount"] = amount(n);
            bill["billAmount"] = amount(n);
            bill["earlyPaymentAmount"] = amount(n + 1);
            bill["latePaymentAmount"] = amount(n + 2);
            bill["paymentStatus"] = PAYMENT[n % 9].into();
            bill["billpayStatus"] = BILLPAY[n % 9].into();
            bill["createdDate"] = format!(
                "2025-{:02}-{:02}T{:02}:{:02}:25.120Z",
                n % 12 + 1,
                n % 28 + 1,
                n % 24,
                n % 60
            )
            .into();
            bill["billDueDate"] = format!("2025-{:02}-{:02}", n % 12 + 1, n % 28 + 1).into();
            bill
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "response_code": 0,
        "response_message": "Success",
        "payload": payload,
    }))
    .expect("serializes")
}

/// The typed decode, kept out of line so a profiler can single it out
/// (`--toggle-collect='large_decode::decode_typed'`).
#[inline(never)]
fn decode_typed(body: &[u8]) -> types::UtilityBillSearchEnvelope {
    serde_json::from_slice(body).expect("typed")
}

/// The `Value` decode, out of line like [`decode_typed`].
#[inline(never)]
fn decode_value(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("value")
}

fn main() {
    support::serve_if_asked();
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "resident") {
        if let (Some(kind), Some(path)) = (args.get(at + 1), args.get(at + 2)) {
            report_resident(kind, path);
        }
        return;
    }
    if std::env::args().any(|arg| arg == "sizes") {
        // What one bill takes: the records' inline sizes, and the heap one decoded bill adds.
        use std::mem::size_of;
        for (name, size) in [
            (
                "UtilityPaymentV2Response",
                size_of::<types::UtilityPaymentV2Response>(),
            ),
            (
                "CompanyBillerResponse",
                size_of::<types::CompanyBillerResponse>(),
            ),
            ("BillerResponse", size_of::<types::BillerResponse>()),
            ("InputParam", size_of::<types::InputParam>()),
            ("BillerParam", size_of::<types::BillerParam>()),
            ("Refund", size_of::<types::Refund>()),
            ("Option<Timestamp>", size_of::<Option<enkash::Timestamp>>()),
            ("Option<Amount>", size_of::<Option<enkash::Amount>>()),
        ] {
            println!("{name:<26} {size:>5} bytes inline");
        }
        let one = search_response(1);
        let (decoded, peak) = peak_added(|| decode_typed(&one));
        println!("one decoded bill: {peak} bytes of heap at the peak");
        drop(decoded);
        return;
    }
    let rounds = support::env_usize("ROUNDS", 15);
    let bills = support::env_usize("BILLS", 10_000);
    let body = search_response(bills);
    if std::env::args().any(|arg| arg == "profile") {
        // One decode, for `valgrind --tool=callgrind` on the bench binary.
        if std::env::args().any(|arg| arg == "value") {
            let decoded = decode_value(&body);
            println!(
                "decoded {} bills",
                decoded["payload"].as_array().map_or(0, Vec::len)
            );
        } else {
            let decoded = decode_typed(&body);
            println!("decoded {} bills", decoded.payload.len());
        }
        return;
    }
    let megabytes = body.len() as f64 / 1e6;
    println!(
        "large response: a search envelope of {bills} bills, {:.2} MB of JSON; {rounds} rounds\n",
        megabytes
    );

    // Check once that the typed decode sees what was generated.
    let typed: types::UtilityBillSearchEnvelope =
        serde_json::from_slice(&body).expect("the typed decode");
    assert_eq!(typed.payload.len(), bills);
    assert_eq!(
        typed.payload[1].amount.map(|a| a.to_string()).as_deref(),
        Some("137.01")
    );
    drop(typed);

    let mut typed_mbps = Vec::new();
    let mut value_mbps = Vec::new();
    let mut ratios = Vec::new();
    let mut typed_peak = 0;
    let mut value_peak = 0;
    for round in 0..rounds {
        let mut times = [0.0; 2];
        // Alternate which goes first.
        for which in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            let started = Instant::now();
            let peak = if which == 0 {
                let (decoded, peak) = peak_added(|| {
                    serde_json::from_slice::<types::UtilityBillSearchEnvelope>(black_box(&body))
                        .expect("typed")
                });
                times[0] = started.elapsed().as_secs_f64();
                black_box(decoded);
                peak
            } else {
                let (decoded, peak) = peak_added(|| {
                    serde_json::from_slice::<Value>(black_box(&body)).expect("value")
                });
                times[1] = started.elapsed().as_secs_f64();
                black_box(decoded);
                peak
            };
            if which == 0 {
                typed_peak = typed_peak.max(peak);
            } else {
                value_peak = value_peak.max(peak);
            }
        }
        typed_mbps.push(megabytes / times[0]);
        value_mbps.push(megabytes / times[1]);
        ratios.push(times[1] / times[0]);
    }
    let typed_resident = peak_resident_added("typed", &body);
    let value_resident = peak_resident_added("value", &body);

    println!(
        "  {:<20} {:>8} {:>14} {:>10} {:>18} {:>10}",
        "", "MB/s", "peak heap MB", "/ payload", "peak resident MB", "/ payload"
    );
    for (name, mbps, peak, resident) in [
        (
            "typed (generated)",
            &mut typed_mbps,
            typed_peak,
            typed_resident,
        ),
        (
            "serde_json::Value",
            &mut value_mbps,
            value_peak,
            value_resident,
        ),
    ] {
        let (resident_mb, resident_ratio) = match resident {
            Some(bytes) => (
                format!("{:.2}", bytes as f64 / 1e6),
                format!("{:.2}", bytes as f64 / body.len() as f64),
            ),
            None => ("n/a".to_owned(), "n/a".to_owned()),
        };
        println!(
            "  {name:<20} {:>8.1} {:>14.2} {:>10.2} {resident_mb:>18} {resident_ratio:>10}",
            median(mbps),
            peak as f64 / 1e6,
            peak as f64 / body.len() as f64,
        );
    }
    println!(
        "\ntyped is {:.2}x as fast as Value (median of {rounds} per-round ratios)",
        median(&mut ratios)
    );
}
