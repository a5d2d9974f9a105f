package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/sdkfinance-go/sdkfinance"
)

const (
	// maxIDBytes is the maximum id length in bytes that the SDK accepts.
	maxIDBytes = 256
	// maxLineBytes bounds the memory one input line takes. Two ids of
	// maxIDBytes fit in it even when every byte is a quote that CSV
	// doubles.
	maxLineBytes = 4096
)

// badLineFunc receives the 1-based number of an input line that was
// skipped and the reason.
type badLineFunc func(line int, reason string)

// readTargets reads "userId,requestId" lines from r. It skips blank lines
// and header lines "userId,requestId", which may repeat where files were
// joined. Every other line that is not a valid target is passed to bad and
// skipped. The error is non-nil only when r fails.
func readTargets(r io.Reader, bad badLineFunc) ([]sdkfinance.Target, error) {
	br := bufio.NewReaderSize(r, maxLineBytes+2) // room for "\r\n"
	var targets []sdkfinance.Target
	lineNo := 0
	for {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			lineNo++
			bad(lineNo, fmt.Sprintf("line is longer than %d bytes", maxLineBytes))
			if err = discardLine(br); err != nil && err != io.EOF {
				return targets, err
			}
			if err == io.EOF {
				return targets, nil
			}
			continue
		}
		if err != nil && err != io.EOF {
			return targets, err
		}
		if len(raw) == 0 && err == io.EOF {
			return targets, nil
		}
		lineNo++
		line := strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r")
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\ufeff") // a byte order mark from spreadsheet exports
		}
		if strings.TrimSpace(line) != "" {
			t, header, reason := parseLine(line)
			switch {
			case reason != "":
				bad(lineNo, reason)
			case !header:
				targets = append(targets, t)
			}
		}
		if err == io.EOF {
			return targets, nil
		}
	}
}

// discardLine reads up to and including the next newline.
func discardLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// parseLine parses one non-blank line without its line ending. It returns
// the target, or header true for a header line, or the reason the line is
// invalid.
func parseLine(line string) (t sdkfinance.Target, header bool, reason string) {
	if i := strings.IndexFunc(line, isControl); i >= 0 {
		return t, false, fmt.Sprintf("contains a control character at byte %d", i)
	}
	if !utf8.ValidString(line) {
		return t, false, "is not valid UTF-8"
	}
	cr := csv.NewReader(strings.NewReader(line))
	cr.FieldsPerRecord = -1
	fields, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return t, false, fmt.Sprintf("is not valid CSV: %v", err)
	}
	if len(fields) != 2 {
		return t, false, fmt.Sprintf("has %d fields, want 2 (userId,requestId)", len(fields))
	}
	if strings.EqualFold(fields[0], "userId") && strings.EqualFold(fields[1], "requestId") {
		return t, true, ""
	}
	for i, name := range []string{"userId", "requestId"} {
		switch {
		case fields[i] == "":
			return t, false, name + " is empty"
		case len(fields[i]) > maxIDBytes:
			return t, false, fmt.Sprintf("%s is %d bytes long; the maximum is %d",
				name, len(fields[i]), maxIDBytes)
		}
	}
	return sdkfinance.Target{UserID: fields[0], RequestID: fields[1]}, false, ""
}

// isControl reports whether r is a C0 or C1 control character or DEL, the
// characters the SDK rejects in an id.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f)
}
