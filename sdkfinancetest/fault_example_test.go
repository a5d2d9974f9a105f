package sdkfinancetest_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/sdkfinance-go/sdkfinance/sdkfinancetest"
)

func ExampleServer_InjectFaults() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	user := srv.AddUser("Lee")
	req, err := srv.AddResetRequest(user.ID)
	if err != nil {
		log.Fatal(err)
	}
	// The first approve is rejected unprocessed. The second is processed,
	// but its response is lost behind a 502.
	srv.InjectFaults("approveResetIdentification",
		sdkfinancetest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "1"},
		sdkfinancetest.Fault{Status: http.StatusBadGateway, Process: true})

	header := mustToken(srv, srv.Operator.Login)
	for range 3 {
		status := send(http.MethodPost, approveURL(srv, user.ID, req.ID), header, "", nil)
		fmt.Println(status, srv.ApprovalCount(req.ID))
	}
	// Output:
	// 503 0
	// 502 1
	// 409 1
}

func ExampleServer_SetFaultFunc() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// Every third page request is rate limited.
	srv.SetFaultFunc("viewResetIdentificationRequests", func(call int) sdkfinancetest.Fault {
		if call%3 == 0 {
			return sdkfinancetest.Fault{Status: http.StatusTooManyRequests}
		}
		return sdkfinancetest.Fault{}
	})

	header := mustToken(srv, srv.Operator.Login)
	for range 6 {
		fmt.Print(send(http.MethodPost, srv.URL+"/profiles/view-reset-identification-requests",
			header, "{}", nil), " ")
	}
	fmt.Println()
	// Output: 200 200 429 200 200 429
}

func ExampleServer_ClearFaults() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	srv.InjectFaults("login", sdkfinancetest.Fault{Status: http.StatusServiceUnavailable})
	srv.ClearFaults()

	body := fmt.Sprintf(`{"login":%q,"password":%q}`, srv.Operator.Login, srv.Operator.Password)
	fmt.Println(send(http.MethodPost, srv.URL+"/authorization", "", body, nil))
	// Output: 200
}

func ExampleServer_OpenConnections() {
	srv, err := sdkfinancetest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Post(srv.URL+"/authorization", "application/json", nil)
	if err != nil {
		log.Fatal(err)
	}
	// Read the body whole, so that the client keeps the connection.
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println(srv.OpenConnections())

	// The server records the close a moment after the client makes it.
	client.CloseIdleConnections()
	for srv.OpenConnections() > 0 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(srv.OpenConnections())
	// Output:
	// 1
	// 0
}

func ExampleFaultBody_String() {
	fmt.Println(sdkfinancetest.TruncatedJSON, sdkfinancetest.HTMLPage)
	// Output: TruncatedJSON HTMLPage
}
