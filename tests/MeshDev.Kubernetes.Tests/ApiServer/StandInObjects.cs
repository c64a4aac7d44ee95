using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>The objects the stand-in tests write, shaped like what a dev-namespace runtime would write.</summary>
internal static class StandInObjects
{
    public const string OwnerLabel = "dev.meshdev.owner";

    public static V1Namespace Namespace(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [OwnerLabel] = "alice" } },
    };

    public static V1Deployment Deployment(string name, string image, int replicas, int port = 8080) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { ["app"] = name, [OwnerLabel] = "alice" },
        },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    Containers =
                    [
                        new V1Container
                        {
                            Name = name,
                            Image = image,
                            Ports = [new V1ContainerPort { ContainerPort = port, Name = "http" }],
                        },
                    ],
                },
            },
        },
    };

    public static V1Service Service(string name, int port = 80, int targetPort = 8080) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [OwnerLabel] = "alice" } },
        Spec = new V1ServiceSpec
        {
            Selector = new Dictionary<string, string> { ["app"] = name },
            Ports = [new V1ServicePort { Name = "http", Port = port, TargetPort = targetPort }],
        },
    };
}
