using k8s;
using k8s.Models;
using MeshDev.Kubernetes.Pods;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>Reading a pod's status: what keeps it from serving, said at once and precisely.</summary>
public sealed class PodProblemsTests
{
    internal static V1Pod Pod(string name, string phase = "Pending", V1ContainerStatus? container = null, V1PodCondition[]? conditions = null, DateTime? created = null, bool deleting = false) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            CreationTimestamp = created ?? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            DeletionTimestamp = deleting ? DateTime.UtcNow : null,
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "shop/orders:dev" }] },
        Status = new V1PodStatus
        {
            Phase = phase,
            Conditions = conditions ?? [],
            ContainerStatuses = container is null ? [] : [container],
        },
    };

    internal static V1ContainerStatus Waiting(string reason, string message = "", int restarts = 0, int? lastExit = null) => new()
    {
        Name = "app",
        Image = "shop/orders:dev",
        ImageID = "",
        Ready = false,
        RestartCount = restarts,
        State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } },
        LastState = lastExit is { } code ? new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code, Reason = "Error" } } : null,
    };

    internal static V1Pod ReadyPod(string name, DateTime? created = null) => Pod(
        name, "Running",
        new V1ContainerStatus { Name = "app", Image = "x", ImageID = "", Ready = true, RestartCount = 0, State = new V1ContainerState { Running = new V1ContainerStateRunning() } },
        [new V1PodCondition { Type = "Ready", Status = "True" }],
        created);

    [Fact]
    public void An_image_that_cannot_be_pulled_is_a_problem_at_the_first_failed_pull()
    {
        var problem = PodProblems.Classify(Pod("orders-1", container: Waiting("ErrImagePull", "rpc error: code = NotFound desc = failed to pull \"nope:1\"")));

        Assert.Equal(new PodProblem("orders-1", "ErrImagePull", "rpc error: code = NotFound desc = failed to pull \"nope:1\"", "app"), problem);
    }

    [Fact]
    public void A_crash_loop_points_at_the_previous_containers_output_and_exit_code()
    {
        var problem = PodProblems.Classify(Pod("orders-1", "Running", Waiting("CrashLoopBackOff", "back-off 10s restarting failed container=app", restarts: 2, lastExit: 3)));

        Assert.Equal(new PodProblem("orders-1", "CrashLoopBackOff", "back-off 10s restarting failed container=app", "app", 3, LogSource.Previous), problem);
    }

    [Fact]
    public void A_container_that_exited_is_a_crash_before_the_back_off_starts()
    {
        var exited = new V1ContainerStatus
        {
            Name = "app",
            Image = "x",
            ImageID = "",
            Ready = false,
            RestartCount = 0,
            State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 1, Reason = "Error" } },
        };

        var problem = PodProblems.Classify(Pod("orders-1", "Running", exited))!;

        Assert.Equal(new PodProblem("orders-1", "Error", "exited with code 1", "app", 1, LogSource.Current), problem);
        Assert.Equal("pod orders-1, container app: Error: exited with code 1; last log lines: boom", problem.Describe(null, ["boom"], "hint"));
    }

    internal static V1PodCondition Unschedulable(string message) =>
        new() { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = message };

    [Fact]
    public void An_unschedulable_pod_is_no_problem_but_says_why_no_node_takes_it_yet()
    {
        var pod = Pod("orders-1", conditions: [Unschedulable("0/1 nodes are available: 1 Insufficient memory.")]);

        Assert.Null(PodProblems.Classify(pod));
        Assert.Equal("0/1 nodes are available: 1 Insufficient memory.", PodProblems.UnschedulableReason(pod));
        Assert.Null(PodProblems.UnschedulableReason(Pod("orders-1", conditions: [new V1PodCondition { Type = "PodScheduled", Status = "True" }])));
        Assert.Null(PodProblems.UnschedulableReason(Pod("orders-1", conditions: [Unschedulable("0/1 nodes are available")], deleting: true)));
    }

    [Theory]
    [InlineData("ContainerCreating")]
    [InlineData("PodInitializing")]
    public void A_pod_on_its_way_is_no_problem(string reason)
    {
        Assert.Null(PodProblems.Classify(Pod("orders-1", container: Waiting(reason))));
        Assert.Null(PodProblems.Classify(Pod("orders-1")));
    }

    [Fact]
    public void A_pod_being_deleted_is_neither_a_problem_nor_ready()
    {
        var pod = Pod("orders-1", "Running", Waiting("CrashLoopBackOff", restarts: 1, lastExit: 1), [new V1PodCondition { Type = "Ready", Status = "True" }], deleting: true);

        Assert.Null(PodProblems.Classify(pod));
        Assert.False(PodProblems.IsReady(pod));
    }

    [Fact]
    public void Ready_means_running_with_the_Ready_condition()
    {
        Assert.True(PodProblems.IsReady(ReadyPod("orders-1")));
        Assert.False(PodProblems.IsReady(Pod("orders-1", "Running", conditions: [new V1PodCondition { Type = "Ready", Status = "False" }])));
    }

    [Fact]
    public void A_root_image_refused_as_non_root_says_exactly_what_to_change()
    {
        var problem = PodProblems.Classify(Pod("orders-1", container: Waiting(
            "CreateContainerConfigError", "container has runAsNonRoot and image will run as root (pod: \"orders-1_meshdev-alice(uid)\", container: app)")))!;

        Assert.True(problem.IsRootImage);
        Assert.Equal(
            "pod orders-1, container app: CreateContainerConfigError: container has runAsNonRoot and image will run as root (pod: \"orders-1_meshdev-alice(uid)\", container: app). " +
            "The image runs as root (or as a user name Kubernetes cannot check) and the pod must not: set 'runAsNonRoot: false' on service 'orders' in meshdev.yaml, or give the image a numeric non-root USER (e.g. USER 65532)",
            problem.Describe(null, [], "set 'runAsNonRoot: false' on service 'orders' in meshdev.yaml, or give the image a numeric non-root USER (e.g. USER 65532)"));
    }

    [Fact]
    public void The_description_has_the_reason_the_event_message_the_exit_code_and_the_last_lines()
    {
        var problem = new PodProblem("orders-1", "CrashLoopBackOff", "back-off 10s restarting failed container=app", "app", 3, LogSource.Previous);

        Assert.Equal(
            "pod orders-1, container app: CrashLoopBackOff: back-off 10s restarting failed container=app (event: Back-off restarting failed container app in pod orders-1); " +
            "it exited with code 3; last log lines: starting | panic: DB_URL is not set",
            problem.Describe("Back-off restarting failed container app in pod orders-1", ["starting", "panic: DB_URL is not set"], "hint"));
    }

    [Fact]
    public void An_event_that_repeats_the_status_with_more_detail_replaces_it()
    {
        var problem = new PodProblem("orders-1", "ErrImagePull", "not found", "app");

        Assert.Equal(
            "pod orders-1, container app: ErrImagePull: Failed to pull image \"nope:1\": not found",
            problem.Describe("Failed to pull image \"nope:1\": not found", [], "hint"));
    }

    [Fact]
    public void A_replica_set_that_cannot_create_pods_is_described_without_a_pod()
    {
        var problem = new PodProblem(null, "FailedCreate", "pods \"orders-5f-\" is forbidden: exceeded quota: compute");

        Assert.Equal("no pod could be created: FailedCreate: pods \"orders-5f-\" is forbidden: exceeded quota: compute", problem.Describe(null, [], "hint"));
    }
}
