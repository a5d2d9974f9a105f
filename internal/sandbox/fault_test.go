package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// faultServer is a sandbox on a loopback port with one operator token, a
// user with pending reset requests and an HTTP client of its own.
type faultServer struct {
	sb      *Sandbox
	hs      *httptest.Server
	client  *http.Client
	url     string
	header  string
	user    UserState
	records []Record
}

func newFaultServer(t *testing.T, pending int) *faultServer {
	t.Helper()
	sb, err := New(Config{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(sb.Handler())
	t.Cleanup(hs.Close)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)

	sb.AddOperator("op@sandbox.local", "pw", []string{PermissionResetIdentification})
	token, err := sb.IssueToken("op@sandbox.local")
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	fs := &faultServer{sb: sb, hs: hs, client: client, url: hs.URL + BasePath,
		header: "TOKEN " + token, user: sb.AddUser("Faulty")}
	for range pending {
		r, err := sb.AddResetRequest(fs.user.ID, Record{})
		if err != nil {
			t.Fatalf("AddResetRequest: %v", err)
		}
		fs.records = append(fs.records, r)
	}
	return fs
}

// do sends a POST with the operator's token and returns the response with
// its body read, or the transport error.
func (fs *faultServer) do(ctx context.Context, target, body string) (result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Authorization", fs.header)
	resp, err := fs.client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	return result{status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

func (fs *faultServer) mustDo(t *testing.T, target, body string) result {
	t.Helper()
	r, err := fs.do(t.Context(), target, body)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	return r
}

func (fs *faultServer) approveURL(i int) string {
	return fs.url + "/profiles/" + fs.user.ID + "/reset-identification-requests/" +
		fs.records[i].ID + "/approve"
}

func (fs *faultServer) viewURL() string {
	return fs.url + "/profiles/view-reset-identification-requests"
}

func (fs *faultServer) status(t *testing.T, i int) string {
	t.Helper()
	r, ok := fs.sb.ResetRequest(fs.records[i].ID)
	if !ok {
		t.Fatalf("record %d not found", i)
	}
	return r.Status
}

// checkApprovals checks the approval count and the stored status of
// record i.
func (fs *faultServer) checkApprovals(t *testing.T, i, want int) {
	t.Helper()
	if got := fs.sb.ApprovalCount(fs.records[i].ID); got != want {
		t.Errorf("ApprovalCount = %d, want %d", got, want)
	}
	wantStatus := StatusPending
	if want > 0 {
		wantStatus = StatusApproved
	}
	if got := fs.status(t, i); got != wantStatus {
		t.Errorf("stored status = %s, want %s", got, wantStatus)
	}
}

func decodePage(t *testing.T, r result) ResetRequestPage {
	t.Helper()
	var p ResetRequestPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decode page %.200q: %v", r.body, err)
	}
	if p.Records == nil || p.TotalPages == nil {
		t.Fatalf("page without records or totalPages: %.200s", r.body)
	}
	return p
}

func pageIDs(p ResetRequestPage) []string {
	var ids []string
	for _, r := range *p.Records {
		ids = append(ids, *r.ID)
	}
	return ids
}

func TestFaultStatusNotProcessed(t *testing.T) {
	fs := newFaultServer(t, 1)
	fs.sb.InjectFaults("approveResetIdentification", Fault{Status: 503, RetryAfter: "7"})

	r := fs.mustDo(t, fs.approveURL(0), "")
	checkEnvelope(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	if got := r.header.Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After = %q, want 7", got)
	}
	fs.checkApprovals(t, 0, 0)
	if got := fs.sb.RequestCount("approveResetIdentification"); got != 1 {
		t.Errorf("RequestCount = %d, want 1", got)
	}
}

func TestFaultStatusAfterProcessing(t *testing.T) {
	fs := newFaultServer(t, 1)
	fs.sb.InjectFaults("approveResetIdentification", Fault{Status: 500, Process: true})

	checkEnvelope(t, fs.mustDo(t, fs.approveURL(0), ""), http.StatusInternalServerError,
		"INTERNAL_SERVER_ERROR")
	fs.checkApprovals(t, 0, 1)
}

func TestFaultQueueOrder(t *testing.T) {
	fs := newFaultServer(t, 1)
	fs.sb.InjectFaults("approveResetIdentification", Fault{Status: 429}, Fault{})

	wantStatuses := []int{http.StatusTooManyRequests, http.StatusOK, http.StatusConflict}
	for i, want := range wantStatuses {
		if got := fs.mustDo(t, fs.approveURL(0), "").status; got != want {
			t.Errorf("request %d: status %d, want %d", i+1, got, want)
		}
	}
	fs.checkApprovals(t, 0, 1)
}

func TestFaultOnlyNamedOperation(t *testing.T) {
	fs := newFaultServer(t, 1)
	fs.sb.InjectFaults("approveResetIdentification", Fault{Status: 502})

	if r := fs.mustDo(t, fs.viewURL(), `{}`); r.status != http.StatusOK {
		t.Errorf("view status = %d, want 200; body %s", r.status, r.body)
	}
	if r := fs.mustDo(t, fs.approveURL(0), ""); r.status != http.StatusBadGateway {
		t.Errorf("approve status = %d, want 502", r.status)
	}
}

func TestFaultOnLogin(t *testing.T) {
	fs := newFaultServer(t, 0)
	fs.sb.InjectFaults("login", Fault{Status: 503})

	r := fs.mustDo(t, fs.url+"/authorization", `{"login":"op@sandbox.local","password":"pw"}`)
	checkEnvelope(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	r = fs.mustDo(t, fs.url+"/authorization", `{"login":"op@sandbox.local","password":"pw"}`)
	if r.status != http.StatusOK {
		t.Errorf("second login status = %d, want 200", r.status)
	}
}

func TestFaultCloseConnection(t *testing.T) {
	tests := []struct {
		name      string
		process   bool
		approvals int
	}{
		{"before processing", false, 0},
		{"after processing", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFaultServer(t, 1)
			fs.sb.InjectFaults("approveResetIdentification",
				Fault{CloseConnection: true, Process: tt.process})

			_, err := fs.do(t.Context(), fs.approveURL(0), "")
			if err == nil {
				t.Fatal("approve succeeded, want a transport error")
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error = %v, want one wrapping EOF", err)
			}
			fs.checkApprovals(t, 0, tt.approvals)
		})
	}
}

func TestFaultLatencyDelays(t *testing.T) {
	fs := newFaultServer(t, 1)
	const latency = 20 * time.Millisecond
	fs.sb.InjectFaults("approveResetIdentification", Fault{Latency: latency})

	start := time.Now()
	r := fs.mustDo(t, fs.approveURL(0), "")
	if elapsed := time.Since(start); elapsed < latency {
		t.Errorf("response after %v, want at least %v", elapsed, latency)
	}
	if r.status != http.StatusOK {
		t.Errorf("status = %d, want 200", r.status)
	}
	fs.checkApprovals(t, 0, 1)
}

// TestFaultLatencyEndsWithClient checks that a wait ends when the client
// goes away. The latency is an hour, so the test only finishes because
// httptest.Server.Close waits for the handler, which returns early.
func TestFaultLatencyEndsWithClient(t *testing.T) {
	tests := []struct {
		name      string
		process   bool
		approvals int
	}{
		{"before processing", false, 0},
		{"after processing", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFaultServer(t, 1)
			fs.sb.InjectFaults("approveResetIdentification",
				Fault{Latency: time.Hour, Process: tt.process})

			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				// Cancel once the request has reached the handler.
				for fs.sb.RequestCount("approveResetIdentification") == 0 {
					time.Sleep(time.Millisecond)
				}
				cancel()
			}()
			_, err := fs.do(ctx, fs.approveURL(0), "")
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
			fs.client.CloseIdleConnections()
			fs.hs.Close()
			fs.checkApprovals(t, 0, tt.approvals)
		})
	}
}

func TestFaultBodies(t *testing.T) {
	tests := []struct {
		name        string
		fault       Fault
		status      int
		contentType string
		approvals   int
		check       func(t *testing.T, body []byte)
	}{
		{"truncated JSON", Fault{Body: TruncatedJSON}, 200, "application/json", 1,
			func(t *testing.T, body []byte) {
				if len(body) == 0 || json.Valid(body) {
					t.Errorf("body %q is empty or valid JSON", body)
				}
			}},
		{"empty body", Fault{Body: EmptyBody}, 200, "application/json", 1,
			func(t *testing.T, body []byte) {
				if len(body) != 0 {
					t.Errorf("body = %q, want none", body)
				}
			}},
		{"HTML page with 200", Fault{Body: HTMLPage}, 200, "text/html; charset=utf-8", 1,
			func(t *testing.T, body []byte) {
				if !bytes.Contains(body, []byte("<title>200 OK</title>")) {
					t.Errorf("body = %q, want the title 200 OK", body)
				}
			}},
		{"HTML 502", Fault{Status: 502, Body: HTMLPage}, 502, "text/html; charset=utf-8", 0,
			func(t *testing.T, body []byte) {
				if !bytes.Contains(body, []byte("<title>502 Bad Gateway</title>")) {
					t.Errorf("body = %q, want the title 502 Bad Gateway", body)
				}
			}},
		{"truncated 500 envelope", Fault{Status: 500, Body: TruncatedJSON, Process: true}, 500,
			"application/json", 1,
			func(t *testing.T, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"code":"INTERNAL_SERVER_ERROR"`)) || json.Valid(body) {
					t.Errorf("body = %q, want the start of the error envelope", body)
				}
			}},
		{"oversized body", Fault{Body: OversizedBody}, 200, "application/json", 1,
			func(t *testing.T, body []byte) {
				if len(body) != OversizedBodyBytes {
					t.Errorf("body has %d bytes, want %d", len(body), OversizedBodyBytes)
				}
				// The padding is white space, so the body stays valid JSON.
				var env ResetRequestEnvelope
				trimmed := bytes.TrimRight(body, " ")
				if err := json.Unmarshal(trimmed, &env); err != nil || env.Request == nil {
					t.Errorf("oversized body does not start with the envelope: %v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFaultServer(t, 1)
			fs.sb.InjectFaults("approveResetIdentification", tt.fault)

			r := fs.mustDo(t, fs.approveURL(0), "")
			if r.status != tt.status {
				t.Errorf("status = %d, want %d", r.status, tt.status)
			}
			if got := r.header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			tt.check(t, r.body)
			fs.checkApprovals(t, 0, tt.approvals)
		})
	}
}

func TestFaultExpireToken(t *testing.T) {
	fs := newFaultServer(t, 1)
	fs.sb.InjectFaults("viewResetIdentificationRequests", Fault{ExpireToken: true})

	checkEnvelope(t, fs.mustDo(t, fs.viewURL(), `{}`), http.StatusUnauthorized, CodeTokenExpired)
	// The token stays expired without any further fault.
	checkEnvelope(t, fs.mustDo(t, fs.viewURL(), `{}`), http.StatusUnauthorized, CodeTokenExpired)

	token, err := fs.sb.IssueToken("op@sandbox.local")
	if err != nil {
		t.Fatal(err)
	}
	fs.header = "TOKEN " + token
	if r := fs.mustDo(t, fs.viewURL(), `{}`); r.status != http.StatusOK {
		t.Errorf("status with a new token = %d, want 200", r.status)
	}
}

func TestFaultApproveBefore(t *testing.T) {
	fs := newFaultServer(t, 6)
	view := `{"filter":{"status":"PENDING"},"pageNumber":1,"pageSize":2}`
	fs.sb.InjectFaults("viewResetIdentificationRequests", Fault{ApproveBefore: 1})

	p := decodePage(t, fs.mustDo(t, fs.viewURL(), view))
	// Record 0 was approved, so records 3 and 4 now form page 1.
	want := []string{fs.records[3].ID, fs.records[4].ID}
	if got := pageIDs(p); !slices.Equal(got, want) {
		t.Errorf("page 1 = %v, want %v", got, want)
	}
	if *p.TotalRecords != 5 {
		t.Errorf("totalRecords = %d, want 5", *p.TotalRecords)
	}
	fs.checkApprovals(t, 0, 1)
	for i := 1; i < 6; i++ {
		fs.checkApprovals(t, i, 0)
	}
}

func TestFaultApproveBeforeFirstPage(t *testing.T) {
	fs := newFaultServer(t, 2)
	fs.sb.InjectFaults("viewResetIdentificationRequests", Fault{ApproveBefore: 5})

	p := decodePage(t, fs.mustDo(t, fs.viewURL(), `{"pageNumber":0,"pageSize":2}`))
	if len(*p.Records) != 2 {
		t.Errorf("page 0 holds %d records, want 2", len(*p.Records))
	}
	fs.checkApprovals(t, 0, 0)
	fs.checkApprovals(t, 1, 0)
}

func TestFaultRepeatPreviousPage(t *testing.T) {
	fs := newFaultServer(t, 4)
	fs.sb.InjectFaults("viewResetIdentificationRequests", Fault{RepeatPreviousPage: true})

	p := decodePage(t, fs.mustDo(t, fs.viewURL(), `{"pageNumber":1,"pageSize":2}`))
	want := []string{fs.records[0].ID, fs.records[1].ID}
	if got := pageIDs(p); !slices.Equal(got, want) {
		t.Errorf("page 1 = %v, want page 0 %v", got, want)
	}
}

func TestFaultTotalPages(t *testing.T) {
	fs := newFaultServer(t, 3)
	zero := 0
	fs.sb.InjectFaults("viewResetIdentificationRequests", Fault{TotalPages: &zero})

	p := decodePage(t, fs.mustDo(t, fs.viewURL(), `{"pageSize":2}`))
	if *p.TotalPages != 0 {
		t.Errorf("totalPages = %d, want 0", *p.TotalPages)
	}
	if len(*p.Records) != 2 {
		t.Errorf("page holds %d records, want 2", len(*p.Records))
	}
	p = decodePage(t, fs.mustDo(t, fs.viewURL(), `{"pageSize":2}`))
	if *p.TotalPages != 2 {
		t.Errorf("totalPages without a fault = %d, want 2", *p.TotalPages)
	}
}

func TestFaultRecordStatus(t *testing.T) {
	fs := newFaultServer(t, 2)
	fs.sb.InjectFaults("viewResetIdentificationRequests", Fault{RecordStatus: "ON_HOLD"})

	p := decodePage(t, fs.mustDo(t, fs.viewURL(), `{}`))
	for _, r := range *p.Records {
		if *r.Status != "ON_HOLD" {
			t.Errorf("record %s has status %s, want ON_HOLD", *r.ID, *r.Status)
		}
	}
	if got := fs.status(t, 0); got != StatusPending {
		t.Errorf("stored status = %s, want %s", got, StatusPending)
	}
}

func TestFaultFunc(t *testing.T) {
	fs := newFaultServer(t, 0)
	var calls []int
	fs.sb.SetFaultFunc("viewResetIdentificationRequests", func(call int) Fault {
		calls = append(calls, call)
		if call%2 == 0 {
			return Fault{Status: 502}
		}
		return Fault{}
	})
	fs.sb.InjectFaults("viewResetIdentificationRequests", Fault{Status: 429})

	var statuses []int
	for range 4 {
		statuses = append(statuses, fs.mustDo(t, fs.viewURL(), `{}`).status)
	}
	wantStatuses := []int{429, 200, 502, 200}
	for i := range wantStatuses {
		if statuses[i] != wantStatuses[i] {
			t.Errorf("request %d: status %d, want %d", i+1, statuses[i], wantStatuses[i])
		}
	}
	if len(calls) != 3 || calls[0] != 1 || calls[2] != 3 {
		t.Errorf("calls = %v, want [1 2 3]", calls)
	}

	fs.sb.SetFaultFunc("viewResetIdentificationRequests", nil)
	if r := fs.mustDo(t, fs.viewURL(), `{}`); r.status != http.StatusOK {
		t.Errorf("status after removing the function = %d, want 200", r.status)
	}
}

func TestClearFaults(t *testing.T) {
	fs := newFaultServer(t, 1)
	fs.sb.InjectFaults("approveResetIdentification", Fault{Status: 500})
	fs.sb.SetFaultFunc("viewResetIdentificationRequests", func(int) Fault {
		return Fault{Status: 500}
	})
	fs.sb.ClearFaults()

	if r := fs.mustDo(t, fs.viewURL(), `{}`); r.status != http.StatusOK {
		t.Errorf("view status = %d, want 200", r.status)
	}
	if r := fs.mustDo(t, fs.approveURL(0), ""); r.status != http.StatusOK {
		t.Errorf("approve status = %d, want 200", r.status)
	}
	fs.checkApprovals(t, 0, 1)
}

func TestFaultZeroPassesThrough(t *testing.T) {
	fs := newFaultServer(t, 1)
	fs.sb.InjectFaults("approveResetIdentification", Fault{})
	if !(Fault{}).IsZero() {
		t.Error("Fault{}.IsZero() = false")
	}

	r := fs.mustDo(t, fs.approveURL(0), "")
	if r.status != http.StatusOK {
		t.Errorf("status = %d, want 200", r.status)
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	var env ResetRequestEnvelope
	if err := json.Unmarshal(r.body, &env); err != nil || env.Request == nil ||
		*env.Request.Status != StatusApproved {
		t.Errorf("body = %s, want the approved request (%v)", r.body, err)
	}
	fs.checkApprovals(t, 0, 1)
}

func TestFaultBodyString(t *testing.T) {
	if got := OversizedBody.String(); got != "OversizedBody" {
		t.Errorf("OversizedBody.String() = %q", got)
	}
	if got := FaultBody(99).String(); got != "FaultBody(99)" {
		t.Errorf("FaultBody(99).String() = %q", got)
	}
}
