"""One contact policy for every outbound contact: a pure decision function, its layered rules and its records."""
