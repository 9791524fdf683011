package index

// PendingAfter exposes the statement of PendingRequestsAfter, for the
// test of its query plan.
var PendingAfter = pendingAfter
