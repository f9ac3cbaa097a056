//! Box enclosures of the closed-form calibration mechanisms ([`crate::closed_form`]), so that
//! certified regret can be checked against their exact regret.
//!
//! A menu's outcome is piecewise constant in the report; its utility over a box is bounded
//! jointly, offer by offer, rather than through separate allocation and payment enclosures.

use crate::certify::affine::Aff;
use crate::certify::net64::{BoxOutcome, PayBound};
use crate::certify::BoxBounds;
use crate::closed_form::{BidLottery, MenuMechanism, PostedPrice, Trap};

/// The reciprocal of `x > 0` as a form: the rounded quotient with a one-ulp remainder.
fn reciprocal(x: f64) -> Aff {
    let q = 1.0 / x;
    Aff {
        c: q,
        g: [0.0; 2],
        e: q * f64::EPSILON,
    }
}

/// `[b >= price]` over the report's range: 1, 0, or anything in between where the range
/// holds the price.
fn step(b: &Aff, price: f64) -> Aff {
    if b.lo() >= price {
        Aff::constant(1.0)
    } else if b.hi() < price {
        Aff::constant(0.0)
    } else {
        Aff {
            c: 0.5,
            g: [0.0; 2],
            e: 0.5,
        }
    }
}

impl BoxBounds for PostedPrice {
    fn bidders(&self) -> usize {
        1
    }
    fn items(&self) -> usize {
        self.prices.len()
    }
    fn outcome(&self, _: &[f64], _: usize, report: &[Aff]) -> BoxOutcome {
        let a: Vec<Aff> = report
            .iter()
            .zip(&self.prices)
            .map(|(b, &p)| step(b, f64::from(p)))
            .collect();
        let pay = a
            .iter()
            .zip(&self.prices)
            .fold(Aff::constant(0.0), |s, (a, &p)| {
                s.add(a.scale(f64::from(p)))
            });
        BoxOutcome {
            a,
            pay: PayBound::Direct(pay),
        }
    }
    fn utility(&self, _: &BoxOutcome, v: &[f64], report: &[Aff]) -> Aff {
        // Item j adds v_j - p_j when bought, 0 otherwise: where the box holds the price,
        // anything between (the allocation and the payment move together).
        report
            .iter()
            .zip(&self.prices)
            .zip(v)
            .fold(Aff::constant(0.0), |s, ((b, &p), &vj)| {
                let gain = Aff::constant(vj).sub(Aff::constant(f64::from(p)));
                let term = match step(b, f64::from(p)) {
                    a if a.e == 0.0 => gain.scale(a.c),
                    _ => Aff {
                        c: 0.5 * gain.c,
                        g: [0.0; 2],
                        e: (0.5 * gain.c.abs() + gain.e) * (1.0 + f64::EPSILON),
                    },
                };
                s.add(term)
            })
    }
}

impl BoxBounds for BidLottery {
    fn bidders(&self) -> usize {
        self.bidders
    }
    fn items(&self) -> usize {
        self.items
    }
    fn outcome(&self, _: &[f64], _: usize, report: &[Aff]) -> BoxOutcome {
        let share = reciprocal(self.bidders as f64);
        let a: Vec<Aff> = report.iter().map(|b| b.mul(share)).collect();
        let pay = a
            .iter()
            .zip(report)
            .fold(Aff::constant(0.0), |s, (a, b)| s.add(a.mul(*b)));
        BoxOutcome {
            a,
            pay: PayBound::Direct(pay),
        }
    }
    fn profile_independent(&self) -> bool {
        // A bidder's lottery depends on its own bid only.
        true
    }
}

impl BoxBounds for Trap {
    fn bidders(&self) -> usize {
        1
    }
    fn items(&self) -> usize {
        self.center.len()
    }
    fn outcome(&self, _: &[f64], _: usize, report: &[Aff]) -> BoxOutcome {
        let r2 = f64::from(self.radius) * f64::from(self.radius);
        let d2 = report
            .iter()
            .zip(&self.center)
            .fold(Aff::constant(0.0), |s, (b, &c)| {
                let d = b.sub(Aff::constant(f64::from(c)));
                s.add(d.mul(d))
            });
        let bump = Aff::constant(1.0).sub(d2.mul(reciprocal(r2))).relu();
        BoxOutcome {
            a: vec![bump; report.len()],
            pay: PayBound::Direct(Aff::constant(0.0)),
        }
    }
}

impl BoxBounds for MenuMechanism {
    fn bidders(&self) -> usize {
        1
    }
    fn items(&self) -> usize {
        self.items
    }
    fn outcome(&self, _: &[f64], _: usize, report: &[Aff]) -> BoxOutcome {
        // At a point, the offer the menu gives there (exact constants); over a box, nothing
        // (the utility is bounded offer by offer in `utility`).
        let point: Option<Vec<f32>> = report
            .iter()
            .map(|b| (b.g == [0.0; 2] && b.e == 0.0).then_some(b.c as f32))
            .collect();
        let chosen = point.and_then(|p| self.menu.choice(&p));
        let (price, lottery) = match chosen {
            Some(k) => self.menu.offers[k].clone(),
            None => (0.0, vec![0.0; self.items]),
        };
        BoxOutcome {
            a: lottery.into_iter().map(Aff::constant).collect(),
            pay: PayBound::Direct(Aff::constant(price)),
        }
    }
    fn utility(&self, o: &BoxOutcome, v: &[f64], report: &[Aff]) -> Aff {
        let exact = |q: &[f64], p: f64| {
            q.iter()
                .zip(v)
                .fold(Aff::constant(0.0), |s, (&q, &x)| {
                    s.add(Aff::constant(q).scale(x))
                })
                .sub(Aff::constant(p))
        };
        if report.iter().all(|b| b.g == [0.0; 2] && b.e == 0.0) {
            // The utility of the offer taken at this (f32-rounded) report.
            let q: Vec<f64> = o.a.iter().map(|a| a.c).collect();
            let PayBound::Direct(p) = &o.pay else {
                unreachable!("a menu's payment is direct")
            };
            return exact(&q, p.c);
        }
        // Whatever offer a report in the box takes (or none), the bidder gets at most its best
        // offer at its true values: the maximum over offers and 0.
        let best = self
            .menu
            .offers
            .iter()
            .map(|(p, q)| exact(q, *p).hi())
            .fold(0.0f64, f64::max);
        Aff {
            c: 0.5 * best,
            g: [0.0; 2],
            e: 0.5 * best.abs() * (1.0 + f64::EPSILON),
        }
    }
}
