package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sdkfinance-go/sdkfinance"
	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// fixture is a sandbox seeded with three users who each have a pending
// request, and a fourth user whose request the input pairs with the
// first user.
type fixture struct {
	srv      *sdkfinancetest.Server
	users    []sdkfinancetest.User
	requests []sdkfinancetest.ResetRequest
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	f := &fixture{srv: srv}
	for _, name := range []string{"Alex Example", "Sam Example", "Kim Example", "Lee Example"} {
		user := srv.AddUser(name)
		req, err := srv.AddResetRequest(user.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.users = append(f.users, user)
		f.requests = append(f.requests, req)
	}
	return f
}

// settings returns settings that point at the fixture's server and write
// the results and audit lines into dir.
func (f *fixture) settings(dir string) settings {
	return settings{
		baseURL:     f.srv.URL,
		login:       f.srv.Operator.Login,
		password:    f.srv.Operator.Password,
		inPath:      filepath.Join(dir, "targets.csv"),
		outPath:     filepath.Join(dir, "results.csv"),
		auditPath:   filepath.Join(dir, "audit.jsonl"),
		concurrency: 2,
	}
}

// input returns a CSV with a header, the three good targets, a missing
// request, a mismatched one, and bad lines between them. Bad lines are
// lines 3 to 8.
func (f *fixture) input() string {
	u, r := f.users, f.requests
	lines := []string{
		"userId,requestId",
		u[0].ID + "," + r[0].ID,
		u[1].ID + "," + r[1].ID + ",extra",       // 3: three fields
		u[1].ID,                                  // 4: one field
		"," + r[1].ID,                            // 5: empty userId
		u[1].ID + ",req\x01uest",                 // 6: control character
		u[1].ID + "," + strings.Repeat("x", 257), // 7: id over 256 bytes
		u[1].ID + `,"unclosed`,                   // 8: invalid CSV
		`"` + u[1].ID + `",` + r[1].ID,           // 9: quoted field
		"userId,requestId",                       // 10: a repeated header is skipped silently
		"",                                       // blank lines are skipped silently
		u[2].ID + "," + r[2].ID + "\r",           // 12: CRLF ending
		u[0].ID + ",no-such-request",             // 13: missing
		u[0].ID + "," + r[3].ID,                  // 14: another user's request
	}
	return strings.Join(lines, "\n") + "\n"
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readRows(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseRows(t, data)
}

func parseRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("result CSV: %v\n%s", err, data)
	}
	return rows
}

func readAudit(t *testing.T, path string) []sdkfinance.AuditEvent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []sdkfinance.AuditEvent
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev sdkfinance.AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		events = append(events, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

// wantRow is an expected result row; errPart is a substring of the error
// column, or empty for an empty column.
type wantRow struct {
	userID, requestID, status, errPart string
}

func checkRows(t *testing.T, rows [][]string, want []wantRow) {
	t.Helper()
	if len(rows) == 0 {
		t.Fatal("result CSV is empty")
	}
	if got := strings.Join(rows[0], ","); got != "userId,requestId,status,error" {
		t.Errorf("header = %q", got)
	}
	rows = rows[1:]
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i, w := range want {
		row := rows[i]
		if row[0] != w.userID || row[1] != w.requestID {
			t.Errorf("row %d target = %q,%q; want %q,%q", i+1, row[0], row[1], w.userID, w.requestID)
		}
		if row[2] != w.status {
			t.Errorf("row %d status = %q, want %q (error %q)", i+1, row[2], w.status, row[3])
		}
		if w.errPart == "" && row[3] != "" {
			t.Errorf("row %d error = %q, want empty", i+1, row[3])
		}
		if !strings.Contains(row[3], w.errPart) {
			t.Errorf("row %d error = %q, want it to contain %q", i+1, row[3], w.errPart)
		}
	}
}

func TestRunResetsAndReportsFailures(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	s := f.settings(dir)
	writeFile(t, s.inPath, f.input())
	var stderr bytes.Buffer

	err := run(context.Background(), s, streams{stderr: &stderr})

	if !errors.Is(err, errIncomplete) {
		t.Fatalf("run error = %v, want errIncomplete", err)
	}
	if exitCode(err) != 1 {
		t.Errorf("exit code = %d, want 1", exitCode(err))
	}
	for _, want := range []string{"2 of 5 targets failed", "input lines skipped: 6"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("run error %q does not contain %q", err, want)
		}
	}
	for _, want := range []string{
		"targets.csv:3: has 3 fields, want 2",
		"targets.csv:4: has 1 fields, want 2",
		"targets.csv:5: userId is empty",
		"targets.csv:6: contains a control character at byte",
		"targets.csv:7: requestId is 257 bytes long; the maximum is 256",
		"targets.csv:8: is not valid CSV",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr.String())
		}
	}

	u, r := f.users, f.requests
	checkRows(t, readRows(t, s.outPath), []wantRow{
		{u[0].ID, r[0].ID, statusApproved, ""},
		{u[1].ID, r[1].ID, statusApproved, ""},
		{u[2].ID, r[2].ID, statusApproved, ""},
		{u[0].ID, "no-such-request", statusNotPending, "no pending reset request"},
		{u[0].ID, r[3].ID, statusMismatch, "nothing was approved"},
	})
	for i, want := range []int{1, 1, 1, 0} {
		if got := f.srv.ApprovalCount(r[i].ID); got != want {
			t.Errorf("ApprovalCount(request %d) = %d, want %d", i, got, want)
		}
	}

	events := readAudit(t, s.auditPath)
	outcomes := make(map[string]sdkfinance.AuditOutcome)
	for _, ev := range events {
		if ev.Action != "approve" {
			t.Errorf("audit action = %q, want approve", ev.Action)
		}
		if ev.Login != f.srv.Operator.Login {
			t.Errorf("audit login = %q, want %q", ev.Login, f.srv.Operator.Login)
		}
		outcomes[ev.RequestID] = ev.Outcome
	}
	if len(events) != 5 {
		t.Errorf("got %d audit lines, want 5: %+v", len(events), events)
	}
	wantOutcomes := map[string]sdkfinance.AuditOutcome{
		r[0].ID:           sdkfinance.AuditApproved,
		r[1].ID:           sdkfinance.AuditApproved,
		r[2].ID:           sdkfinance.AuditApproved,
		"no-such-request": sdkfinance.AuditRefused,
		r[3].ID:           sdkfinance.AuditRefused,
	}
	for id, want := range wantOutcomes {
		if outcomes[id] != want {
			t.Errorf("audit outcome of %q = %q, want %q", id, outcomes[id], want)
		}
	}
	audit, err := os.ReadFile(s.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(audit), f.srv.Operator.Password) {
		t.Error("audit file contains the operator password")
	}
}

func TestRunDryRunApprovesNothing(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	s := f.settings(dir)
	s.dryRun = true
	writeFile(t, s.inPath, f.input())

	err := run(context.Background(), s, streams{stderr: &bytes.Buffer{}})

	if !errors.Is(err, errIncomplete) {
		t.Fatalf("run error = %v, want errIncomplete", err)
	}
	u, r := f.users, f.requests
	checkRows(t, readRows(t, s.outPath), []wantRow{
		{u[0].ID, r[0].ID, statusChecked, ""},
		{u[1].ID, r[1].ID, statusChecked, ""},
		{u[2].ID, r[2].ID, statusChecked, ""},
		{u[0].ID, "no-such-request", statusNotPending, "no pending reset request"},
		{u[0].ID, r[3].ID, statusMismatch, "nothing was approved"},
	})
	for i, req := range r {
		if got := f.srv.ApprovalCount(req.ID); got != 0 {
			t.Errorf("ApprovalCount(request %d) = %d, want 0", i, got)
		}
	}
	if got := f.srv.RequestCount("approveResetIdentification"); got != 0 {
		t.Errorf("approve requests = %d, want 0", got)
	}
}

func TestRunAllApprovedFromStdin(t *testing.T) {
	f := newFixture(t)
	s := f.settings(t.TempDir())
	s.inPath, s.outPath, s.auditPath = "-", "-", ""
	s.rate = 1000
	var in strings.Builder
	for i := range 3 {
		in.WriteString(f.users[i].ID + "," + f.requests[i].ID + "\n")
	}
	var stdout, stderr bytes.Buffer

	err := run(context.Background(), s, streams{
		stdin: strings.NewReader(in.String()), stdout: &stdout, stderr: &stderr})

	if err != nil {
		t.Fatalf("run error = %v, want nil\nstderr:\n%s", err, stderr.String())
	}
	u, r := f.users, f.requests
	checkRows(t, parseRows(t, stdout.Bytes()), []wantRow{
		{u[0].ID, r[0].ID, statusApproved, ""},
		{u[1].ID, r[1].ID, statusApproved, ""},
		{u[2].ID, r[2].ID, statusApproved, ""},
	})
	if !strings.Contains(stderr.String(), "All 3 targets approved.") {
		t.Errorf("stderr lacks the summary:\n%s", stderr.String())
	}
}

func TestRunRepeatedTargetInvalid(t *testing.T) {
	f := newFixture(t)
	s := f.settings(t.TempDir())
	s.auditPath = ""
	line := f.users[0].ID + "," + f.requests[0].ID + "\n"
	writeFile(t, s.inPath, line+line)

	err := run(context.Background(), s, streams{stderr: &bytes.Buffer{}})

	if !errors.Is(err, errIncomplete) {
		t.Fatalf("run error = %v, want errIncomplete", err)
	}
	checkRows(t, readRows(t, s.outPath), []wantRow{
		{f.users[0].ID, f.requests[0].ID, statusApproved, ""},
		{f.users[0].ID, f.requests[0].ID, statusInvalid, "each request is reset once"},
	})
	if got := f.srv.ApprovalCount(f.requests[0].ID); got != 1 {
		t.Errorf("ApprovalCount = %d, want 1", got)
	}
}

func TestRunWrongPasswordWritesRows(t *testing.T) {
	f := newFixture(t)
	s := f.settings(t.TempDir())
	s.password = "wrong-password"
	writeFile(t, s.inPath, f.users[0].ID+","+f.requests[0].ID+"\n")

	err := run(context.Background(), s, streams{stderr: &bytes.Buffer{}})

	if !errors.Is(err, sdkfinance.ErrUnauthorized) {
		t.Fatalf("run error = %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("run error spans lines: %q", err)
	}
	checkRows(t, readRows(t, s.outPath), []wantRow{
		{f.users[0].ID, f.requests[0].ID, statusFailed, "401"},
	})
	data, err := os.ReadFile(s.outPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), s.password) {
		t.Error("result CSV contains the password")
	}
}

func TestRunSandboxDefault(t *testing.T) {
	s, err := parseSettings(nil, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	s.timeout = 0
	var stdout, stderr bytes.Buffer

	err = run(context.Background(), s, streams{stdout: &stdout, stderr: &stderr})

	if !errors.Is(err, errIncomplete) {
		t.Fatalf("run error = %v, want errIncomplete\nstderr:\n%s", err, stderr.String())
	}
	rows := parseRows(t, stdout.Bytes())
	var statuses []string
	for _, row := range rows[1:] {
		statuses = append(statuses, row[2])
	}
	want := []string{statusApproved, statusApproved, statusApproved, statusApproved,
		statusNotPending, statusMismatch}
	if strings.Join(statuses, " ") != strings.Join(want, " ") {
		t.Errorf("statuses = %q, want %q", statuses, want)
	}
	if rows[5][1] != missingRequestID {
		t.Errorf("row 5 request id = %q, want %q", rows[5][1], missingRequestID)
	}
}

func TestParseSettingsUsageErrors(t *testing.T) {
	configured := map[string]string{
		"SDKFINANCE_BASE_URL": "http://127.0.0.1:1/api/v1",
		"SDKFINANCE_TOKEN":    "token",
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"extra argument", nil, []string{"targets.csv"}, "unexpected argument"},
		{"zero concurrency", nil, []string{"-concurrency", "0"}, "-concurrency is 0"},
		{"negative rate", nil, []string{"-rate", "-1"}, "-rate"},
		{"NaN rate", nil, []string{"-rate", "NaN"}, "-rate"},
		{"rate too high", nil, []string{"-rate", "2e9"}, "-rate"},
		{"negative timeout", nil, []string{"-timeout", "-1s"}, "-timeout"},
		{"unknown flag", nil, []string{"-nope"}, "nope"},
		{"no credentials", map[string]string{"SDKFINANCE_BASE_URL": "http://127.0.0.1:1/api/v1"},
			[]string{"-in", "x.csv"}, "SDKFINANCE_TOKEN"},
		{"no input", configured, nil, "-in FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSettings(tt.args, func(k string) string { return tt.env[k] }, &bytes.Buffer{})
			if !errors.Is(err, errUsage) {
				t.Fatalf("error = %v, want errUsage", err)
			}
			if exitCode(err) != 2 {
				t.Errorf("exit code = %d, want 2", exitCode(err))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestReadTargetsLines(t *testing.T) {
	input := "\ufeffuserId,requestId\r\n" +
		"u1,r1\r\n" +
		"u2,\"r,2\"\n" +
		"u3,r3\xff\n" +
		strings.Repeat("y", maxLineBytes+10) + "\n" +
		"u4,r4" // no final newline
	type badLine struct {
		line   int
		reason string
	}
	var bad []badLine
	targets, err := readTargets(strings.NewReader(input), func(line int, reason string) {
		bad = append(bad, badLine{line, reason})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []sdkfinance.Target{{UserID: "u1", RequestID: "r1"}, {UserID: "u2", RequestID: "r,2"},
		{UserID: "u4", RequestID: "r4"}}
	if len(targets) != len(want) {
		t.Fatalf("targets = %+v, want %+v", targets, want)
	}
	for i := range want {
		if targets[i] != want[i] {
			t.Errorf("target %d = %+v, want %+v", i, targets[i], want[i])
		}
	}
	wantBad := []badLine{{4, "is not valid UTF-8"}, {5, "line is longer than 4096 bytes"}}
	if len(bad) != len(wantBad) {
		t.Fatalf("bad lines = %+v, want %+v", bad, wantBad)
	}
	for i := range wantBad {
		if bad[i] != wantBad[i] {
			t.Errorf("bad line %d = %+v, want %+v", i, bad[i], wantBad[i])
		}
	}
}

func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 4, true)
	p.record(true)
	p.record(false)
	p.record(true)
	p.record(true)
	p.finish()

	want := "\r[#####...............] 1/4  ok 1  failed 0" +
		"\r[##########..........] 2/4  ok 1  failed 1" +
		"\r[###############.....] 3/4  ok 2  failed 1" +
		"\r[####################] 4/4  ok 3  failed 1" +
		"\n"
	if buf.String() != want {
		t.Errorf("output = %q\nwant     %q", buf.String(), want)
	}
}

func TestProgressPlainEveryTenth(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 25, false)
	for i := range 25 {
		p.record(i%5 != 0)
	}
	p.finish()

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := []string{
		"progress: 3/25 (12%)  ok 2  failed 1",
		"progress: 6/25 (24%)  ok 4  failed 2",
		"progress: 9/25 (36%)  ok 7  failed 2",
		"progress: 12/25 (48%)  ok 9  failed 3",
		"progress: 15/25 (60%)  ok 12  failed 3",
		"progress: 18/25 (72%)  ok 14  failed 4",
		"progress: 21/25 (84%)  ok 16  failed 5",
		"progress: 24/25 (96%)  ok 19  failed 5",
		"progress: 25/25 (100%)  ok 20  failed 5",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], want[i])
		}
	}
}

func TestIntervalLimiterReserve(t *testing.T) {
	l, err := newIntervalLimiter(4) // one turn per 250ms
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		want time.Duration
	}{
		{0, 0},                      // the first turn is free
		{0, 250 * time.Millisecond}, // the second waits one interval
		{100 * time.Millisecond, 400 * time.Millisecond}, // queued behind the second
		{2 * time.Second, 0},                             // idle time saves no turns
		{2 * time.Second, 250 * time.Millisecond},
	}
	for i, st := range steps {
		if got := l.reserve(start.Add(st.at)); got != st.want {
			t.Errorf("reserve %d at %v = %v, want %v", i, st.at, got, st.want)
		}
	}
}

func TestIntervalLimiterWaitCanceled(t *testing.T) {
	l, err := newIntervalLimiter(1e-6) // one turn per 11.5 days
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Fatalf("first Wait = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after cancel = %v, want context.Canceled", err)
	}
}

func TestRunSandboxSampleFile(t *testing.T) {
	s, err := parseSettings([]string{"-in", "testdata/targets.csv", "-dry-run"},
		func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	s.timeout = 0
	var stdout, stderr bytes.Buffer

	err = run(context.Background(), s, streams{stdout: &stdout, stderr: &stderr})

	if !errors.Is(err, errIncomplete) {
		t.Fatalf("run error = %v, want errIncomplete\nstderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"testdata/targets.csv:4: requestId is empty",
		"testdata/targets.csv:5: has 3 fields"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr.String())
		}
	}
	// The sandbox numbers its users and requests in the order they are
	// added, so the sample file names the seeded ones.
	user := func(n int) string { return fmt.Sprintf("00000002-0000-4000-8000-%012d", n) }
	request := func(n int) string { return fmt.Sprintf("00000003-0000-4000-8000-%012d", n) }
	checkRows(t, parseRows(t, stdout.Bytes()), []wantRow{
		{user(2), request(1), statusChecked, ""},
		{user(3), request(2), statusChecked, ""},
		{user(4), request(3), statusChecked, ""},
		{user(2), request(9), statusNotPending, "no pending reset request"},
	})
}

func TestRunCanceledWritesEveryRow(t *testing.T) {
	f := newFixture(t)
	s := f.settings(t.TempDir())
	writeFile(t, s.inPath, f.input())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := run(ctx, s, streams{stderr: &bytes.Buffer{}})

	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run error = %v, want context.Canceled", err)
	}
	u, r := f.users, f.requests
	checkRows(t, readRows(t, s.outPath), []wantRow{
		{u[0].ID, r[0].ID, statusFailed, "context canceled"},
		{u[1].ID, r[1].ID, statusFailed, "context canceled"},
		{u[2].ID, r[2].ID, statusFailed, "context canceled"},
		{u[0].ID, "no-such-request", statusFailed, "context canceled"},
		{u[0].ID, r[3].ID, statusFailed, "context canceled"},
	})
	if got := f.srv.RequestCount("approveResetIdentification"); got != 0 {
		t.Errorf("approve requests = %d, want 0", got)
	}
}
