//! Prints the operation table as JSON, for `scripts/gen-operations.py`.

fn main() {
    let table: Vec<_> = passfort_core::operations::OPERATIONS.iter().map(|operation| operation.describe()).collect();
    println!("{}", serde_json::to_string_pretty(&table).expect("the table is JSON"));
}
