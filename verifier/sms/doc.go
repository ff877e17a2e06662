// Package sms holds the Senders that deliver verification messages:
// Console (prints them), Outbox (keeps the last ones for the dev inbox),
// Multi (fans out), Webhook (POSTs signed JSON to your own endpoint) and
// Twilio (Programmable Messaging REST API).
//
// Every sender reports a failed delivery as an error whose text is safe to
// record on the verification: it never holds the message body (and so the
// code), the full phone number or a credential.
package sms
