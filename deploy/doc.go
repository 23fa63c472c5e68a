// Package deploy holds no code: it is the module of the tests that check the
// Kubernetes manifests in kubernetes/ and the Dockerfile against
// Kubernetes' own API types. It is a module of its own so that k8s.io/api
// stays out of the upcase-gnet binary's dependencies.
package deploy
