fn main() {
    shipcheck_rulegen::generate("crate::facts::Facts");
}
