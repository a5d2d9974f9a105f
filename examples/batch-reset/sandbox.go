package main

import (
	"bytes"
	"encoding/csv"
	"fmt"

	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

// sandboxUsers are the users the sandbox is seeded with, one pending reset
// request each.
var sandboxUsers = []string{"Alex Example", "Sam Example", "Kim Example", "Lee Example", "Ana Example"}

// missingRequestID is the request id of the generated target that no
// request has.
const missingRequestID = "no-such-request"

// startSandbox starts the in-memory server, seeds sandboxUsers with a
// pending reset request each, and points s at the server. It returns the
// server and an input CSV that targets every request but the last with
// its user, then a missing request, then the last request with the first
// user, so that the results show both kinds of failure.
func startSandbox(s *settings) (*sdkfinancetest.Server, []byte, error) {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		return nil, nil, fmt.Errorf("start the sandbox: %w", err)
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"userId", "requestId"})
	var users []sdkfinancetest.User
	var requests []sdkfinancetest.ResetRequest
	for _, name := range sandboxUsers {
		user := srv.AddUser(name)
		req, err := srv.AddResetRequest(user.ID,
			sdkfinancetest.WithDescription("New documents uploaded by "+name))
		if err != nil {
			srv.Close()
			return nil, nil, fmt.Errorf("seed the sandbox: %w", err)
		}
		users = append(users, user)
		requests = append(requests, req)
	}
	last := len(requests) - 1
	for i := range last {
		_ = cw.Write([]string{users[i].ID, requests[i].ID})
	}
	_ = cw.Write([]string{users[0].ID, missingRequestID})
	_ = cw.Write([]string{users[0].ID, requests[last].ID})
	cw.Flush()

	s.baseURL = srv.URL
	s.token = ""
	s.login, s.password = srv.Operator.Login, srv.Operator.Password
	return srv, buf.Bytes(), cw.Error()
}
