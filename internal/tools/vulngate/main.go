// Command vulngate reads govulncheck's JSON output on standard input and
// exits with status 1 when the code calls a vulnerable function of a
// module it requires. Vulnerabilities of the standard library are listed
// as warnings and do not fail: they belong to the Go toolchain that builds
// the program, which the importer chooses, not to this module.
//
// Usage: govulncheck -format json ./... | vulngate
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// message is one object of govulncheck's JSON stream; only findings matter.
type message struct {
	Finding *finding `json:"finding"`
}

type finding struct {
	OSV          string  `json:"osv"`
	FixedVersion string  `json:"fixed_version"`
	Trace        []frame `json:"trace"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
}

func main() {
	failures, warnings, err := gate(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	for _, w := range warnings {
		fmt.Println("warning (standard library, fixed by a newer Go):", w)
	}
	for _, f := range failures {
		fmt.Println("vulnerable dependency called:", f)
	}
	if len(failures) > 0 {
		os.Exit(1)
	}
	fmt.Printf("vulngate: no called vulnerability in a required module (%d in the standard library)\n",
		len(warnings))
}

// gate returns the called vulnerabilities of required modules and of the
// standard library, each once, sorted.
func gate(r io.Reader) (failures, warnings []string, err error) {
	dec := json.NewDecoder(r)
	fail, warn := map[string]bool{}, map[string]bool{}
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("read govulncheck JSON: %w", err)
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // not reached from the code: imported or required only
		}
		top := f.Trace[0]
		line := fmt.Sprintf("%s in %s@%s (fixed in %s)", f.OSV, top.Module, top.Version, f.FixedVersion)
		if top.Module == "stdlib" {
			warn[line] = true
		} else {
			fail[line] = true
		}
	}
	return sortedKeys(fail), sortedKeys(warn), nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
