package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// startAtPlaceholder is what the documented command line replaces with the
// shards' start time.
const startAtPlaceholder = "@START_AT@"

// safeSysctls are the sysctls a kubelet allows without
// --allowed-unsafe-sysctls (its SafeSysctlAllowlist); a pod that sets any
// other never starts on a default cluster.
var safeSysctls = []string{
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start",
}

// documents is the objects of a YAML file, failing the test on any error.
func documents(t *testing.T, path string) []any {
	t.Helper()
	objs, err := decodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// decodeFile splits a YAML file into its documents, each decoded strictly
// (an unknown or duplicate field is an error) into the API type its kind
// names.
func decodeFile(path string) ([]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var objs []any
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", path, i, err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			obj = new(appsv1.Deployment)
		case "v1 Service":
			obj = new(corev1.Service)
		case "batch/v1 Job":
			obj = new(batchv1.Job)
		default:
			return nil, fmt.Errorf("%s, document %d: unexpected kind %q %q", path, i, tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			return nil, fmt.Errorf("%s, document %d (%s): %w", path, i, tm.Kind, err)
		}
		objs = append(objs, obj)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s: no objects", path)
	}
	return objs, nil
}

// TestStrictDecoding: the decoding the manifests pass refuses a misspelt
// field, a duplicate one and a value of the wrong type.
func TestStrictDecoding(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"unknown field":   "apiVersion: batch/v1\nkind: Job\nspec:\n  completion: 4\n",
		"duplicate field": "apiVersion: batch/v1\nkind: Job\nspec:\n  completions: 4\n  completions: 5\n",
		"wrong type":      "apiVersion: batch/v1\nkind: Job\nspec:\n  completions: four\n",
		"unknown kind":    "apiVersion: batch/v1\nkind: Jobs\n",
	} {
		path := filepath.Join(t.TempDir(), "x.yaml")
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := decodeFile(path); err == nil {
			t.Errorf("%s: decoded without an error", name)
		}
	}
	good := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(good, []byte("apiVersion: batch/v1\nkind: Job\nspec:\n  completions: 4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeFile(good); err != nil {
		t.Errorf("a valid Job: %v", err)
	}
}

func stripComments(doc string) string {
	var kept []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// only returns the one object of type T among objs.
func only[T any](t *testing.T, objs []any) *T {
	t.Helper()
	var found []*T
	for _, o := range objs {
		if x, ok := o.(*T); ok {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("want one %T, found %d", zero, len(found))
	}
	return found[0]
}

func TestServerManifest(t *testing.T) {
	t.Parallel()
	objs := documents(t, "kubernetes/server.yaml")
	dep, svc := only[appsv1.Deployment](t, objs), only[corev1.Service](t, objs)

	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	pod := dep.Spec.Template
	if !sel.Matches(labelSet(pod.Labels)) {
		t.Errorf("the Deployment's selector %v does not match its pods' labels %v", sel, pod.Labels)
	}
	for k, v := range svc.Spec.Selector {
		if pod.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, the pods are labelled %v", k, v, pod.Labels)
		}
	}
	c := container(t, pod.Spec, "serve")
	if got := arg(c.Args, "port"); got != "1060" {
		t.Errorf("serve --port %q, want 1060", got)
	}
	if got := arg(c.Args, "host"); got != "0.0.0.0" {
		t.Errorf("serve --host %q: it must listen beyond the pod's loopback", got)
	}
	for _, p := range svc.Spec.Ports {
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.TargetPort.String() }) {
			t.Errorf("the Service's port %s targets %q, which the container does not name", p.Name, p.TargetPort.String())
		}
	}
	grace := time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	if drain, err := time.ParseDuration(arg(c.Args, "drain-timeout")); err != nil || drain >= grace {
		t.Errorf("serve --drain-timeout %q must be shorter than the grace period %v", arg(c.Args, "drain-timeout"), grace)
	}
	checkSysctls(t, pod.Spec)
	checkFlags(t, "serve", c.Args)
}

func TestLoadJob(t *testing.T) {
	t.Parallel()
	job := only[batchv1.Job](t, documents(t, "kubernetes/load-job.yaml"))
	svc := only[corev1.Service](t, documents(t, "kubernetes/server.yaml"))
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed: the shards' index comes from JOB_COMPLETION_INDEX", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Parallelism != *s.Completions {
		t.Errorf("parallelism %v, completions %v: every shard must run at once", s.Parallelism, s.Completions)
	}
	if s.BackoffLimit == nil || *s.BackoffLimit != 0 || s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("backoffLimit %v, restartPolicy %q: a shard run again would start after the window and count twice", s.BackoffLimit, s.Template.Spec.RestartPolicy)
	}
	c := container(t, s.Template.Spec, "load")
	if got := envValue(c, "UPCASE_GNET_SHARDS"); got != strconv.Itoa(int(*s.Completions)) {
		t.Errorf("UPCASE_GNET_SHARDS %q, completions %d: they must be equal", got, *s.Completions)
	}
	if c.Args[0] != "load" || !slices.Contains(c.Args, "--json") || !slices.Contains(c.Args, "--allow-errors") {
		t.Errorf("args %q: want load with --json (merge reads it) and --allow-errors (merge judges errors)", c.Args)
	}
	if got, want := arg(c.Args, "host"), svc.Name; got != want {
		t.Errorf("load --host %q, want the Service's name %q", got, want)
	}
	if got, want := arg(c.Args, "port"), strconv.Itoa(int(svc.Spec.Ports[0].Port)); got != want {
		t.Errorf("load --port %q, want the Service's port %s", got, want)
	}
	conns, err := strconv.Atoi(arg(c.Args, "conns"))
	if err != nil {
		t.Fatalf("load --conns: %v", err)
	}
	// One pod address to one server port: a shard holds at most load's
	// automatic 25,000 a source address (load.PortsPerSource).
	if share := (conns + int(*s.Completions) - 1) / int(*s.Completions); share > 25000 {
		t.Errorf("%d connections over %d shards is %d a shard, more than one source address holds", conns, *s.Completions, share)
	}

	// The documented command line puts an RFC 3339 time in place of the
	// placeholder; the result is still a valid Job.
	if got := envValue(c, "UPCASE_GNET_START_AT"); got != startAtPlaceholder {
		t.Errorf("UPCASE_GNET_START_AT %q, want the placeholder %q", got, startAtPlaceholder)
	}
	raw, err := os.ReadFile("kubernetes/load-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(90 * time.Second).Format(time.RFC3339)
	filled := bytes.ReplaceAll(raw, []byte(startAtPlaceholder), []byte(at))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), filled, 0o600); err != nil {
		t.Fatal(err)
	}
	c = container(t, only[batchv1.Job](t, documents(t, filepath.Join(dir, "job.yaml"))).Spec.Template.Spec, "load")
	if _, err := time.Parse(time.RFC3339, envValue(c, "UPCASE_GNET_START_AT")); err != nil {
		t.Errorf("after substitution: %v", err)
	}
	if !bytes.Contains(raw, []byte(`sed "s/`+startAtPlaceholder+`/`)) {
		t.Errorf("load-job.yaml does not document the sed that fills in %s", startAtPlaceholder)
	}
	checkSysctls(t, s.Template.Spec)
	checkFlags(t, "load", c.Args)
}

// TestReadmeCommand: the README's command line is the one the Job documents.
func TestReadmeCommand(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	job, err := os.ReadFile("kubernetes/load-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"kubectl logs -l job-name=upcase-gnet-load --tail=-1 --max-log-requests=64 | upcase-gnet merge -",
		"kubectl wait --for=condition=complete --timeout=10m job/upcase-gnet-load",
	} {
		if !bytes.Contains(job, []byte(want)) || !bytes.Contains(readme, []byte(want)) {
			t.Errorf("load-job.yaml and README.md should both hold %q", want)
		}
	}
}

// TestDockerfile checks what a Docker daemon is not needed for: two stages,
// a static build, and the Go of go.mod.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatalf("%d FROM lines, want a build stage and a run stage", len(froms))
	}
	if got, want := string(froms[0][1]), "golang:"+string(m[1]); got != want {
		t.Errorf("build stage FROM %s, want %s (go.mod's go %s)", got, want, m[1])
	}
	if got := string(froms[len(froms)-1][1]); got != "scratch" {
		t.Errorf("run stage FROM %s, want scratch: the binary is static", got)
	}
	if !bytes.Contains(df, []byte("CGO_ENABLED=0 go build")) {
		t.Error("the build is not CGO_ENABLED=0: the binary would need a libc the image lacks")
	}
}

func checkSysctls(t *testing.T, spec corev1.PodSpec) {
	t.Helper()
	if spec.SecurityContext == nil {
		return
	}
	for _, s := range spec.SecurityContext.Sysctls {
		if !slices.Contains(safeSysctls, s.Name) {
			t.Errorf("sysctl %s is not in the kubelet's safe set: the pod would not start on a default cluster", s.Name)
		}
		if s.Name == "net.ipv4.ip_local_port_range" {
			var lo, hi int
			if _, err := fmt.Sscanf(s.Value, "%d %d", &lo, &hi); err != nil || lo < 1024 || hi > 65535 || lo >= hi {
				t.Errorf("ip_local_port_range %q: want two ports, 1024 <= low < high <= 65535", s.Value)
			}
		}
	}
}

func container(t *testing.T, spec corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return corev1.Container{}
}

// arg is the value of --name=VALUE in args, or "".
func arg(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool              { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string            { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) { v, ok := l[k]; return v, ok }

// checkFlags checks that every --flag of args is one the command's help
// lists, with the binary built from this repository.
func checkFlags(t *testing.T, cmd string, args []string) {
	t.Helper()
	help, err := exec.Command(binary(t), cmd, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help: %v\n%s", cmd, err, help)
	}
	for _, a := range args[1:] {
		name, _, _ := strings.Cut(a, "=")
		if !strings.HasPrefix(name, "--") {
			t.Errorf("%s argument %q: want --flag=value", cmd, a)
			continue
		}
		if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(name) + `[\s,]`).Match(help) {
			t.Errorf("%s has no flag %s", cmd, name)
		}
	}
}
