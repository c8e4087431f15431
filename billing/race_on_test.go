//go:build race

package billing_test

// raceDetector tells the model test it runs under -race, where each step
// costs about fifty times more: make test runs it again without -race
// for its full length.
const raceDetector = true
