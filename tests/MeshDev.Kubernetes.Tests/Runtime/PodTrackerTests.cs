using k8s;
using k8s.Models;
using MeshDev.Kubernetes.Pods;
using static MeshDev.Kubernetes.Tests.Runtime.PodProblemsTests;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>What the pod and event watches add up to: the pod connections go to, and the problem to report.</summary>
public sealed class PodTrackerTests
{
    private static Corev1Event Warning(string kind, string name, string reason, string message) => new()
    {
        Type = "Warning",
        Reason = reason,
        Message = message,
        InvolvedObject = new V1ObjectReference { Kind = kind, Name = name },
        Metadata = new V1ObjectMeta { Name = $"{name}.1" },
    };

    [Fact]
    public void The_chosen_pod_stays_while_it_is_Ready_and_the_oldest_Ready_one_takes_over_after()
    {
        var tracker = new PodTracker("orders");
        tracker.Apply(WatchEventType.Added, Pod("orders-5f-b"));
        Assert.Null(tracker.ReadyPod);

        tracker.Apply(WatchEventType.Modified, ReadyPod("orders-5f-b", new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc)));
        tracker.Apply(WatchEventType.Added, ReadyPod("orders-5f-a", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        Assert.Equal("orders-5f-b", tracker.ReadyPod);

        tracker.Apply(WatchEventType.Deleted, ReadyPod("orders-5f-b"));
        Assert.Equal("orders-5f-a", tracker.ReadyPod);
        Assert.Null(tracker.Problem);
    }

    [Fact]
    public void A_problem_of_a_live_pod_is_reported_and_one_of_a_terminating_pod_is_not()
    {
        var tracker = new PodTracker("orders");
        tracker.Apply(WatchEventType.Added, Pod("orders-5f-a", container: Waiting("ImagePullBackOff", "Back-off pulling image"), deleting: true));
        Assert.Null(tracker.Problem);

        tracker.Apply(WatchEventType.Added, Pod("orders-5f-b", container: Waiting("ImagePullBackOff", "Back-off pulling image")));
        Assert.Equal("orders-5f-b", tracker.Problem?.Pod);
    }

    [Fact]
    public void A_fresh_FailedCreate_of_the_Deployments_ReplicaSet_is_a_problem_while_no_pod_exists()
    {
        var tracker = new PodTracker("orders");
        tracker.Apply(Warning("ReplicaSet", "orders-5f7c9d", "FailedCreate", "pods \"orders-5f7c9d-\" is forbidden: violates PodSecurity"), fresh: false);
        Assert.Null(tracker.Problem);

        tracker.Apply(Warning("ReplicaSet", "orders-db-5f7c9d", "FailedCreate", "another Deployment's"), fresh: true);
        Assert.Null(tracker.Problem);

        tracker.Apply(Warning("ReplicaSet", "orders-5f7c9d", "FailedCreate", "pods \"orders-5f7c9d-\" is forbidden: violates PodSecurity"), fresh: true);
        Assert.Equal(new PodProblem(null, "FailedCreate", "pods \"orders-5f7c9d-\" is forbidden: violates PodSecurity"), tracker.Problem);

        tracker.Apply(WatchEventType.Added, Pod("orders-5f7c9d-x"));
        Assert.Null(tracker.Problem);
    }

    [Fact]
    public void An_unschedulable_pod_is_waited_for_and_the_autoscalers_scale_up_for_it_is_noted()
    {
        var tracker = new PodTracker("orders");
        tracker.Apply(WatchEventType.Added, Pod("orders-5f-a", conditions: [Unschedulable("0/3 nodes are available: 3 Insufficient cpu.")]));
        Assert.Null(tracker.Problem);
        Assert.Equal(new UnschedulablePod("orders-5f-a", "0/3 nodes are available: 3 Insufficient cpu.", ScalingUp: false), tracker.Unschedulable);

        tracker.Apply(new Corev1Event { Type = "Normal", Reason = "TriggeredScaleUp", Message = "pod triggered scale-up: [{pool-1 3->4 (max: 10)}]", InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "orders-5f-b" }, Metadata = new V1ObjectMeta() }, fresh: true);
        Assert.False(tracker.Unschedulable!.ScalingUp);
        tracker.Apply(new Corev1Event { Type = "Normal", Reason = "TriggeredScaleUp", Message = "pod triggered scale-up: [{pool-1 3->4 (max: 10)}]", InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "orders-5f-a" }, Metadata = new V1ObjectMeta() }, fresh: false);
        Assert.Equal("pod orders-5f-a is unschedulable (0/3 nodes are available: 3 Insufficient cpu.); the cluster is adding a node", tracker.Unschedulable!.Describe());

        tracker.Apply(WatchEventType.Modified, Pod("orders-5f-a", conditions: [new V1PodCondition { Type = "PodScheduled", Status = "True" }]));
        Assert.Null(tracker.Unschedulable);
    }

    [Fact]
    public void The_latest_warning_about_a_pod_is_kept_for_its_problem()
    {
        var tracker = new PodTracker("orders");
        tracker.Apply(Warning("Pod", "orders-5f-a", "Failed", "Failed to pull image \"nope:1\": not found"), fresh: false);
        tracker.Apply(Warning("Pod", "orders-5f-a", "BackOff", "Back-off pulling image \"nope:1\""), fresh: true);
        tracker.Apply(new Corev1Event { Type = "Normal", Reason = "Pulling", Message = "Pulling image", InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "orders-5f-a" }, Metadata = new V1ObjectMeta() }, fresh: true);

        Assert.Equal("Back-off pulling image \"nope:1\"", tracker.WarningFor("orders-5f-a"));
        Assert.Null(tracker.WarningFor("orders-5f-b"));
    }

    [Fact]
    public void A_warning_that_only_repeats_the_reason_does_not_hide_the_detailed_one()
    {
        var tracker = new PodTracker("orders");
        tracker.Apply(Warning("Pod", "orders-5f-a", "Failed", "Failed to pull image \"nope:1\": not found"), fresh: true);
        tracker.Apply(Warning("Pod", "orders-5f-a", "Failed", "Error: ErrImagePull"), fresh: true);

        Assert.Equal("Failed to pull image \"nope:1\": not found", tracker.WarningFor("orders-5f-a"));
    }

    [Fact]
    public void A_fresh_list_replaces_what_was_known()
    {
        var tracker = new PodTracker("orders");
        tracker.Apply(WatchEventType.Added, ReadyPod("orders-5f-a"));
        tracker.Reset([Pod("orders-5f-b")]);

        Assert.Null(tracker.ReadyPod);
        Assert.Equal(["orders-5f-b"], tracker.Pods.Keys);
    }
}
