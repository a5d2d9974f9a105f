package main

import (
	"fmt"
	"io"
	"strings"
)

// barWidth is the number of cells of the terminal progress bar.
const barWidth = 20

// progress renders the progress of a batch on stderr. On a terminal it
// redraws one line after every result. Elsewhere, such as in a log file, it
// writes a plain line after each tenth of the targets and after the last.
// It is not safe for concurrent use, and needs none, because
// BatchOptions.OnResult calls never overlap.
type progress struct {
	w        io.Writer
	total    int
	terminal bool
	// step is how many results pass between plain lines.
	step int

	done, ok, failed int
}

func newProgress(w io.Writer, total int, terminal bool) *progress {
	return &progress{w: w, total: total, terminal: terminal, step: max(1, (total+9)/10)}
}

// record counts one result and writes the progress when it is due.
func (p *progress) record(succeeded bool) {
	p.done++
	if succeeded {
		p.ok++
	} else {
		p.failed++
	}
	switch {
	case p.terminal:
		fmt.Fprintf(p.w, "\r%s %d/%d  ok %d  failed %d", p.bar(), p.done, p.total, p.ok, p.failed)
	case p.done%p.step == 0 || p.done == p.total:
		fmt.Fprintf(p.w, "progress: %d/%d (%d%%)  ok %d  failed %d\n",
			p.done, p.total, p.done*100/p.total, p.ok, p.failed)
	}
}

// finish ends the terminal line, so that later output starts on a line of
// its own.
func (p *progress) finish() {
	if p.terminal && p.done > 0 {
		fmt.Fprintln(p.w)
	}
}

// bar returns the bar, such as "[#####...............]" at a quarter.
func (p *progress) bar() string {
	filled := barWidth
	if p.total > 0 {
		filled = min(barWidth, p.done*barWidth/p.total)
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", barWidth-filled) + "]"
}
