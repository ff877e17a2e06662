// Package sms holds the Senders that deliver verification messages:
// Console (prints them), Outbox (keeps the last ones for the dev inbox),
// Multi (fans out), Webhook (POSTs signed JSON to your own endpoint) and
// Twilio (Programmable Messaging REST API).
//
// Console, Outbox, Multi and Twilio are also Callers: they place voice
// calls that read the code digit by digit, twice, in the verification's
// locale (Twilio through its Calls API with inline TwiML; the others
// print or keep the transcript). Webhook is not.
//
// Every sender reports a failed delivery as an error whose text is safe to
// record on the verification: it never holds the message body (and so the
// code), the full phone number or a credential.
package sms
