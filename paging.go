package sdkfinance

import (
	"context"
	"fmt"
	"slices"
)

// maxLookupPages bounds how many pages one lookup reads, whatever the
// server reports, so that a server that never ends its list cannot keep a
// call busy for ever.
const maxLookupPages = 10_000

// findPending pages through the pending list until it finds request id.
//
// Paging is by offset, so a request approved by another operator during
// the scan moves every later record one place up, and a record can slip
// from the page not yet read to the page already read. When the server's
// total changes during a scan that did not find id, the scan is repeated
// once from the first page.
func (c *Client) findPending(ctx context.Context, id string) (*ResetRequest, error) {
	if err := c.auth.requirePermission(ctx, PermissionResetIdentification); err != nil {
		return nil, err
	}
	pagesRead := 0
	for scan := 0; scan < 2; scan++ {
		rec, shifted, pages, err := c.scanPending(ctx, id)
		pagesRead += pages
		if err != nil || rec != nil {
			return rec, err
		}
		if !shifted {
			break
		}
	}
	return nil, &NotPendingError{RequestID: id, PagesRead: pagesRead}
}

// scanPending reads the pending list once from the first page. It returns
// the record when found, whether the total changed while it read, and how
// many pages it read.
func (c *Client) scanPending(ctx context.Context, id string) (*ResetRequest, bool, int, error) {
	q := ListQuery{Status: StatusPending, PageSize: c.pageSize}
	var firstTotal int64
	var previousIDs []string
	shifted := false
	for page := 0; page < maxLookupPages; page++ {
		q.PageNumber = page
		p, err := c.ListResetRequests(ctx, q)
		if err != nil {
			return nil, false, page, err
		}
		if i := slices.IndexFunc(p.Records, func(r ResetRequest) bool { return r.ID == id }); i >= 0 {
			return &p.Records[i], false, page + 1, nil
		}

		if page == 0 {
			firstTotal = p.TotalRecords
		} else if p.TotalRecords != firstTotal {
			shifted = true
		}
		ids := recordIDs(p.Records)
		if page > 0 && slices.Equal(ids, previousIDs) {
			return nil, false, page + 1, fmt.Errorf("sdkfinance: the pending list returned page %d "+
				"equal to page %d; the server may ignore pageNumber: %w", page, page-1, ErrInvalidResponse)
		}
		previousIDs = ids

		if len(p.Records) == 0 || page+1 >= p.TotalPages {
			return nil, shifted, page + 1, nil
		}
	}
	return nil, false, maxLookupPages, fmt.Errorf("sdkfinance: the pending list did not end "+
		"after %d pages: %w", maxLookupPages, ErrInvalidResponse)
}

func recordIDs(records []ResetRequest) []string {
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.ID
	}
	return ids
}
