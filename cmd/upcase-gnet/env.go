package main

// envPrefix starts the name of every environment variable a flag of this
// binary reads: env's, and so the variables children.Env keeps from the
// serve and load children of compare.
const envPrefix = "UPCASE_GNET_"

// env names a flag's environment variable: envPrefix, then name, the flag's
// name in capitals with dashes as underscores, after COMPARE_ for compare's
// flags, which share names with load's (UPCASE_GNET_PORT,
// UPCASE_GNET_COMPARE_REPEAT).
func env(name string) []string { return []string{envPrefix + name} }
