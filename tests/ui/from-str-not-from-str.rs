use typed_baggage::Baggage;

#[derive(Debug)]
struct Point {
    x: i32,
    y: i32,
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.x, self.y)
    }
}

#[derive(Baggage)]
struct Ctx {
    #[baggage(from_str)]
    origin: Point,
}

fn main() {}
