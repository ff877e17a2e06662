// Package mail sends verification codes by email over SMTP (through
// github.com/wneessen/go-mail) and validates the addresses they go to.
//
// A message carries the code in its subject line ("123456 is your Example
// verification code"), so that Mail-based autofill (Safari's
// autocomplete="one-time-code") finds it, and in a plain-text and an HTML
// part; the verification link, when there is one, is in both parts.
//
// Like the SMS senders, a failed delivery is reported as an error whose
// text is safe to record on the verification: it never holds the code, the
// recipient's address or a credential, only the stage that failed and the
// server's status codes.
package mail
