// ANCHOR: all
fn main() {
    // ANCHOR: here
    let x = 5;
    println!("The value of x is: {x}");
    x = 6;
    println!("The value of x is: {x}");
    // ANCHOR_END: here
}
// ANCHOR_END: all
