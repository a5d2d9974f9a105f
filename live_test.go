package sdkfinance_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/sdkfinance-go/sdkfinance"
)

// Environment variables that TestLive reads. The test runs only when the
// API root and credentials are set, and changes nothing unless
// liveApproveEnv is 1.
const (
	liveBaseURLEnv   = "SDKFINANCE_BASE_URL"
	liveTokenEnv     = "SDKFINANCE_TOKEN"
	liveLoginEnv     = "SDKFINANCE_LOGIN"
	livePasswordEnv  = "SDKFINANCE_PASSWORD"
	liveUserIDEnv    = "SDKFINANCE_TEST_USER_ID"
	liveRequestIDEnv = "SDKFINANCE_TEST_REQUEST_ID"
	liveApproveEnv   = "SDKFINANCE_TEST_APPROVE"
)

// livePageSize is the page size of the pending list that TestLive reads.
const livePageSize = 20

// TestLive runs against a real SDK.Finance installation:
//
//	SDKFINANCE_BASE_URL=https://host/api/v1 \
//	SDKFINANCE_LOGIN=operator@example.com SDKFINANCE_PASSWORD=... \
//	go test -run TestLive -v .
//
// By default it only reads: it logs in, lists the pending reset requests
// and, when SDKFINANCE_TEST_USER_ID and SDKFINANCE_TEST_REQUEST_ID are
// set, checks that request with CheckResetIdentification. With
// SDKFINANCE_TEST_APPROVE=1 as well it approves that request, which
// resets the user's identification and cannot be undone.
func TestLive(t *testing.T) {
	baseURL := os.Getenv(liveBaseURLEnv)
	token := os.Getenv(liveTokenEnv)
	login, password := os.Getenv(liveLoginEnv), os.Getenv(livePasswordEnv)
	if baseURL == "" || (token == "" && (login == "" || password == "")) {
		t.Skipf("runs only against a real installation: set %s and either %s or %s with %s",
			liveBaseURLEnv, liveTokenEnv, liveLoginEnv, livePasswordEnv)
	}
	userID, requestID := os.Getenv(liveUserIDEnv), os.Getenv(liveRequestIDEnv)
	if (userID == "") != (requestID == "") {
		t.Fatalf("set both %s and %s, or neither", liveUserIDEnv, liveRequestIDEnv)
	}
	approve := false
	switch v := os.Getenv(liveApproveEnv); v {
	case "", "0":
	case "1":
		approve = true
	default:
		t.Fatalf("invalid %s=%q: set 1 to approve the request, or leave it unset", liveApproveEnv, v)
	}
	if approve && requestID == "" {
		t.Fatalf("%s=1 needs %s and %s to name the request to approve",
			liveApproveEnv, liveUserIDEnv, liveRequestIDEnv)
	}

	opts := []sdkfinance.Option{
		sdkfinance.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))),
	}
	if token != "" {
		opts = append(opts, sdkfinance.WithToken(token))
	} else {
		opts = append(opts, sdkfinance.WithCredentials(login, password))
	}
	client, err := sdkfinance.NewClient(baseURL, opts...)
	if err != nil {
		t.Fatalf("NewClient(%s): %v", liveBaseURLEnv, err)
	}
	if token == "" {
		// Revoke the token of this test's login. A token from
		// SDKFINANCE_TOKEN belongs to the caller and stays valid. The
		// test's context is canceled before cleanup, so Logout gets
		// another one.
		t.Cleanup(func() {
			if err := client.Logout(context.Background()); err != nil {
				t.Errorf("Logout: %v", err)
			}
		})
	}
	ctx := t.Context()

	t.Run("list pending", func(t *testing.T) {
		page, err := client.ListResetRequests(ctx, sdkfinance.ListQuery{
			Status:   sdkfinance.StatusPending,
			PageSize: livePageSize,
		})
		if err != nil {
			t.Fatalf("ListResetRequests: %v", err)
		}
		t.Logf("pending reset requests: %d in total, %d on page 0", page.TotalRecords, len(page.Records))
		if page.PageNumber != 0 {
			t.Errorf("pageNumber = %d, want 0", page.PageNumber)
		}
		if len(page.Records) > livePageSize {
			t.Errorf("page has %d records, want at most %d", len(page.Records), livePageSize)
		}
		if page.TotalRecords < int64(len(page.Records)) {
			t.Errorf("totalRecords = %d, less than the %d records on the page",
				page.TotalRecords, len(page.Records))
		}
		for _, rec := range page.Records {
			if rec.ID == "" {
				t.Errorf("record without an id: %+v", rec)
			}
			if rec.Status != sdkfinance.StatusPending && rec.Status != "" {
				t.Errorf("record %s has status %q in a list filtered by PENDING", rec.ID, rec.Status)
			}
		}
	})

	if requestID == "" {
		t.Logf("set %s and %s to check one request", liveUserIDEnv, liveRequestIDEnv)
		return
	}
	checked := t.Run("check request", func(t *testing.T) {
		rec, err := client.CheckResetIdentification(ctx, userID, requestID)
		if err != nil {
			t.Fatalf("CheckResetIdentification(%s, %s): %v", userID, requestID, err)
		}
		if rec.ID != requestID {
			t.Errorf("id = %q, want %q", rec.ID, requestID)
		}
		if rec.InitiatorUserID != userID {
			t.Errorf("initiatorUserId = %q, want %q", rec.InitiatorUserID, userID)
		}
	})

	if !approve {
		t.Logf("set %s=1 to approve request %s", liveApproveEnv, requestID)
		return
	}
	if !checked {
		t.Fatalf("not approving request %s, because its check failed", requestID)
	}
	t.Run("approve", func(t *testing.T) {
		res, err := client.ResetIdentification(ctx, userID, requestID)
		if err != nil {
			t.Fatalf("ResetIdentification(%s, %s): %v", userID, requestID, err)
		}
		if res.Request.ID != requestID {
			t.Errorf("approved request id = %q, want %q", res.Request.ID, requestID)
		}
		if res.Request.Status != sdkfinance.StatusApproved {
			t.Errorf("status after approval = %q, want APPROVED", res.Request.Status)
		}
	})
}
