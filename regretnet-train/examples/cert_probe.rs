//! Throwaway probe (not committed).
use regretnet_train::core::rng::{stream_rng, Stream};
use regretnet_train::regret::certify::{certify_regret, CertifyConfig};
use regretnet_train::regret::work::Work;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let ck = regretnet_train::nets::checkpoint::load(std::path::Path::new(&a[1])).unwrap();
    let samples: usize = a[2].parse().unwrap();
    let budget: usize = a[3].parse().unwrap();
    let tol: f64 = a[4].parse().unwrap();
    let setting = ck.net.spec().setting.build().unwrap();
    let all = setting.sample_profiles(&mut stream_rng(100, Stream::Test), 10000);
    let p = &all[..samples * 2];
    let t = std::time::Instant::now();
    let c = certify_regret(
        &ck.net,
        &setting,
        p,
        None,
        &CertifyConfig { tol, budget },
        Work::new(50, 2),
    )
    .unwrap();
    eprintln!("{:.1} s", t.elapsed().as_secs_f64());
    let mu = c.upper.iter().sum::<f64>() / samples as f64;
    let ml = c.lower.iter().sum::<f64>() / samples as f64;
    let r = c.reached.iter().filter(|&&x| x).count();
    eprintln!("upper {mu:.3e} lower {ml:.3e} reached {r}/{samples}");
    println!("v1,v2,upper,lower,reached,boxes");
    for i in 0..samples {
        println!(
            "{},{},{:.3e},{:.3e},{},{}",
            p[2 * i],
            p[2 * i + 1],
            c.upper[i],
            c.lower[i],
            c.reached[i] as u8,
            c.boxes[i]
        );
    }
}
