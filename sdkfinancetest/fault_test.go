package sdkfinancetest_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// TestFaultFieldsReachServer checks that every field of Fault reaches the
// server: each case shows an effect that only that field causes.
func TestFaultFieldsReachServer(t *testing.T) {
	zero := 0
	tests := []struct {
		name      string
		operation string
		fault     sdkfinancetest.Fault
		approvals int
		check     func(t *testing.T, r response)
	}{
		{"Status and RetryAfter", "approveResetIdentification",
			sdkfinancetest.Fault{Status: 429, RetryAfter: "3"}, 0,
			func(t *testing.T, r response) {
				checkError(t, r, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
				if got := r.header.Get("Retry-After"); got != "3" {
					t.Errorf("Retry-After = %q, want 3", got)
				}
			}},
		{"Process", "approveResetIdentification",
			sdkfinancetest.Fault{Status: 504, Process: true}, 1,
			func(t *testing.T, r response) {
				checkError(t, r, http.StatusGatewayTimeout, "GATEWAY_TIMEOUT")
			}},
		{"Body", "approveResetIdentification",
			sdkfinancetest.Fault{Body: sdkfinancetest.EmptyBody}, 1,
			func(t *testing.T, r response) {
				if r.status != http.StatusOK || len(r.raw) != 0 {
					t.Errorf("status %d, body %q; want 200 and no body", r.status, r.raw)
				}
			}},
		{"ExpireToken", "approveResetIdentification",
			sdkfinancetest.Fault{ExpireToken: true}, 0,
			func(t *testing.T, r response) {
				checkError(t, r, http.StatusUnauthorized, sdkfinancetest.CodeTokenExpired)
			}},
		{"TotalPages", "viewResetIdentificationRequests",
			sdkfinancetest.Fault{TotalPages: &zero}, 0,
			func(t *testing.T, r response) {
				var p page
				r.decode(t, &p)
				if p.TotalPages != 0 || p.Records == nil || len(*p.Records) != 1 {
					t.Errorf("page = %s, want totalPages 0 and one record", r.raw)
				}
			}},
		{"RecordStatus", "viewResetIdentificationRequests",
			sdkfinancetest.Fault{RecordStatus: "ESCALATED"}, 0,
			func(t *testing.T, r response) {
				var p page
				r.decode(t, &p)
				if p.Records == nil || len(*p.Records) != 1 || (*p.Records)[0].Status != "ESCALATED" {
					t.Errorf("page = %s, want one record with status ESCALATED", r.raw)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			user := srv.AddUser("Fault")
			req, err := srv.AddResetRequest(user.ID)
			if err != nil {
				t.Fatal(err)
			}
			srv.InjectFaults(tt.operation, tt.fault)

			target := actionURL(srv, user.ID, req.ID, "approve")
			body := ""
			if tt.operation == "viewResetIdentificationRequests" {
				target, body = srv.URL+viewPath, "{}"
			}
			tt.check(t, call(t, http.MethodPost, target, tokenFor(t, srv, srv.Operator.Login), body))
			if got := srv.ApprovalCount(req.ID); got != tt.approvals {
				t.Errorf("ApprovalCount = %d, want %d", got, tt.approvals)
			}
		})
	}
}

func TestFaultListPaging(t *testing.T) {
	srv := newServer(t)
	ids := addRequests(t, srv, 5)
	header := tokenFor(t, srv, srv.Operator.Login)
	srv.InjectFaults("viewResetIdentificationRequests",
		sdkfinancetest.Fault{RepeatPreviousPage: true},
		sdkfinancetest.Fault{ApproveBefore: 1})

	repeated := viewPage(t, srv, header, `{"pageNumber":1,"pageSize":2}`)
	if got := recordIDs(repeated); got != ids[0]+","+ids[1] {
		t.Errorf("repeated page 1 = %s, want page 0 %s,%s", got, ids[0], ids[1])
	}
	shifted := viewPage(t, srv, header, `{"filter":{"status":"PENDING"},"pageNumber":1,"pageSize":2}`)
	// The first request was approved, so the pending list starts at the
	// second and its page 1 holds the fourth and fifth.
	if got := recordIDs(shifted); got != ids[3]+","+ids[4] {
		t.Errorf("page 1 after one approval = %s, want %s,%s", got, ids[3], ids[4])
	}
	if got := srv.ApprovalCount(ids[0]); got != 1 {
		t.Errorf("ApprovalCount of the first request = %d, want 1", got)
	}
}

func recordIDs(p page) string {
	var ids []string
	for _, r := range *p.Records {
		ids = append(ids, r.ID)
	}
	return strings.Join(ids, ",")
}

func TestFaultCloseConnectionAndCount(t *testing.T) {
	srv := newServer(t)
	srv.InjectFaults("login", sdkfinancetest.Fault{CloseConnection: true, Latency: time.Millisecond})
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	body := `{"login":"` + srv.Operator.Login + `","password":"` + srv.Operator.Password + `"}`
	resp, err := client.Post(srv.URL+"/authorization", "application/json", strings.NewReader(body))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("login got status %d, want a closed connection", resp.StatusCode)
	}
	// The hijacked connection is closed at once, so no connection stays
	// open; the loop waits for the server to record that.
	waitForNoConnections(t.Context(), srv)
	if got := srv.OpenConnections(); got != 0 {
		t.Errorf("OpenConnections = %d, want 0", got)
	}
}

// waitForNoConnections waits until the server holds no connection or ctx
// ends.
func waitForNoConnections(ctx context.Context, srv *sdkfinancetest.Server) {
	for srv.OpenConnections() > 0 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
}

func TestFaultFuncAndClear(t *testing.T) {
	srv := newServer(t)
	var calls []int
	srv.SetFaultFunc("viewResetIdentificationRequests", func(call int) sdkfinancetest.Fault {
		calls = append(calls, call)
		return sdkfinancetest.Fault{Status: http.StatusBadGateway, Body: sdkfinancetest.HTMLPage}
	})
	header := tokenFor(t, srv, srv.Operator.Login)

	r := call(t, http.MethodPost, srv.URL+viewPath, header, "{}")
	if r.status != http.StatusBadGateway || !bytes.Contains(r.raw, []byte("<title>502 Bad Gateway</title>")) {
		t.Errorf("status %d, body %q; want the HTML 502 page", r.status, r.raw)
	}
	srv.SetFaultFunc("viewResetIdentificationRequests", nil)
	if r := call(t, http.MethodPost, srv.URL+viewPath, header, "{}"); r.status != http.StatusOK {
		t.Errorf("status after removing the function = %d, want 200", r.status)
	}
	srv.SetFaultFunc("viewResetIdentificationRequests", func(int) sdkfinancetest.Fault {
		return sdkfinancetest.Fault{Status: http.StatusInternalServerError}
	})
	srv.ClearFaults()
	if r := call(t, http.MethodPost, srv.URL+viewPath, header, "{}"); r.status != http.StatusOK {
		t.Errorf("status after ClearFaults = %d, want 200", r.status)
	}
	if len(calls) != 1 || calls[0] != 1 {
		t.Errorf("calls = %v, want [1]", calls)
	}
}

func TestFaultLatencyRespectsContext(t *testing.T) {
	srv := newServer(t)
	user := srv.AddUser("Slow")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		t.Fatal(err)
	}
	srv.InjectFaults("approveResetIdentification", sdkfinancetest.Fault{Latency: time.Hour})

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for srv.RequestCount("approveResetIdentification") == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost,
		actionURL(srv, user.ID, req.ID, "approve"), nil)
	if err != nil {
		t.Fatal(err)
	}
	httpReq.Header.Set("Authorization", tokenFor(t, srv, srv.Operator.Login))
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	if resp, err := client.Do(httpReq); !errors.Is(err, context.Canceled) {
		if err == nil {
			resp.Body.Close()
		}
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	// The server closes the connection only once the handler has
	// returned, so the wait ends only if the latency ended early.
	waitForNoConnections(t.Context(), srv)
	if got := srv.ApprovalCount(req.ID); got != 0 {
		t.Errorf("ApprovalCount = %d, want 0", got)
	}
}

func TestFaultBodyString(t *testing.T) {
	tests := map[sdkfinancetest.FaultBody]string{
		sdkfinancetest.BodyUnchanged: "BodyUnchanged",
		sdkfinancetest.TruncatedJSON: "TruncatedJSON",
		sdkfinancetest.EmptyBody:     "EmptyBody",
		sdkfinancetest.HTMLPage:      "HTMLPage",
		sdkfinancetest.OversizedBody: "OversizedBody",
	}
	for body, want := range tests {
		if got := body.String(); got != want {
			t.Errorf("FaultBody(%d).String() = %q, want %q", int(body), got, want)
		}
	}
}
