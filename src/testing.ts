// Test doubles, exported as public API ('physarum/test') so users can test their own envs.
export {};
