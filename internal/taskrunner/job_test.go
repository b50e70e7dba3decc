package taskrunner

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	tasksv1 "github.com/mcplatform/terraform-provider-mc/api/tasks/v1alpha1"
)

func TestJobNameIsAValidLabelValueAndDiffersPerRun(t *testing.T) {
	long := testRun(strings.Repeat("very-long-name-", 10)+"x", "https://git.example/x.git", "main", tasksv1.TaskRunBuild{})
	long.UID = "uid-1"
	other := long.DeepCopy()
	other.UID = "uid-2"
	for _, run := range []*tasksv1.TaskRun{long, other} {
		name := JobName(run)
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			t.Errorf("job name %q: %v", name, errs)
		}
	}
	if JobName(long) == JobName(other) {
		t.Error("a new TaskRun of the same name gets the old run's Job name")
	}
}

func TestGitContext(t *testing.T) {
	for _, tc := range []struct{ url, wantCtx, wantPull string }{
		{"https://bitbucket.example/ws/app.git", "git://bitbucket.example/ws/app.git#abc", "https"},
		{"http://127.0.0.1:8080/ws/app.git", "git://127.0.0.1:8080/ws/app.git#abc", "http"},
		{"https://user:secret@bitbucket.example/ws/app.git", "git://bitbucket.example/ws/app.git#abc", "https"},
	} {
		ctx, pull := gitContext(tc.url, "abc")
		if ctx != tc.wantCtx || pull != tc.wantPull {
			t.Errorf("gitContext(%q) = %q, %q; want %q, %q", tc.url, ctx, pull, tc.wantCtx, tc.wantPull)
		}
	}
}
