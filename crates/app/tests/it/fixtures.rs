//! What the rollup tests share: a small deterministic generator (every run checks the
//! same cases, and a failure names its seed), and the indicators they write.

/// Sums, a rate after summing, a stock and a decimal sum.
pub const INDICATORS: &str = "code,name,measure,value_type,aggregation,formula,group
DEATHS,Số đám tang,ca,integer,sum,,Nếp sống
CREMATIONS,Số ca hỏa táng,ca,integer,sum,,Nếp sống
RATE,Tỷ lệ hỏa táng,%,percent,ratio,100 * CREMATIONS / DEATHS,Nếp sống
FAMILIES,Số gia đình văn hóa,hộ,integer,last,,Nếp sống
FUNDS,Quỹ (triệu đồng),triệu đồng,number,sum,,Quỹ
";

/// A linear congruential generator (Knuth's MMIX constants).
pub struct Lcg(pub u64);

impl Lcg {
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}
