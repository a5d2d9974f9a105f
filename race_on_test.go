//go:build race

package sdkfinance_test

// raceEnabled reports whether the test binary was built with -race.
const raceEnabled = true
