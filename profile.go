package sdkfinance

import (
	"context"
	"fmt"
	"net/http"

	"github.com/sdkfinance-go/sdkfinance/internal/api"
)

// StatusResult is a response that carries only the server's status word
// ("ok") and message.
type StatusResult struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// RequestIdentificationReset requests a reset of the identification of
// the user the client is logged in as (POST
// /profiles/my/reset-identification, operationId
// requestResetIdentification). An operator then approves or declines the
// new request. A second request while one is pending gives an error
// matching [ErrConflict]. The call is retried only when the server cannot
// have processed it.
func (c *Client) RequestIdentificationReset(ctx context.Context) (*ResetResult, error) {
	if !c.built() {
		return nil, errNotBuilt()
	}
	op := operation{name: "requestResetIdentification", kind: changesState, auth: true,
		call: func(ctx context.Context, edit api.RequestEditorFn) (*http.Response, error) {
			return c.api.RequestResetIdentification(ctx, edit)
		}}
	resp, err := c.send(ctx, op)
	if err != nil {
		return nil, err
	}
	return decodeResetResult(resp)
}

// ResetIdentificationWithRemarks resets the identification of user userID
// and names the profile fields the user must fill in again (POST
// /profiles/{userId}/reset, operationId rebootIdentificationWithRemarks).
// It needs [PermissionResetIdentification]. fields must not be empty. The
// call is retried only when the server cannot have processed it.
func (c *Client) ResetIdentificationWithRemarks(ctx context.Context, userID string,
	fields []string) (*StatusResult, error) {
	if !c.built() {
		return nil, errNotBuilt()
	}
	if err := validateID("userID", userID); err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, invalidOption("fields", "is empty; name at least one profile field to update")
	}
	for i, f := range fields {
		if f == "" || hasControl(f) || len(f) > maxIDLen {
			return nil, invalidArgument(fmt.Sprintf("fields[%d]", i), f, fmt.Sprintf(
				"must be a field name of 1 to %d bytes without control characters", maxIDLen))
		}
	}
	if err := c.auth.requirePermission(ctx, PermissionResetIdentification); err != nil {
		return nil, err
	}
	body := api.RebootRequest{Fields: fields}
	op := operation{name: "rebootIdentificationWithRemarks", kind: changesState, auth: true,
		call: func(ctx context.Context, edit api.RequestEditorFn) (*http.Response, error) {
			return c.api.RebootIdentificationWithRemarks(ctx, userID, body, edit)
		}}
	var out api.StatusResponse
	if err := c.do(ctx, op, &out); err != nil {
		return nil, err
	}
	return &StatusResult{Status: deref(out.Status), Message: deref(out.Message)}, nil
}
