using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The defaults the API server fills in on create and update, so that what the runtime reads back looks like a
/// cluster's (a Deployment's <c>replicas: 1</c>, a Service's cluster IP, a pod's <c>restartPolicy</c>, a namespace's
/// <c>kubernetes.io/metadata.name</c> label).
/// </summary>
internal sealed class ObjectDefaults
{
    private int _clusterIps;

    public void Apply(IKubernetesObject<V1ObjectMeta> value, IKubernetesObject<V1ObjectMeta>? current)
    {
        switch (value)
        {
            case V1Namespace ns:
                (ns.Metadata.Labels ??= new Dictionary<string, string>())["kubernetes.io/metadata.name"] = ns.Metadata.Name;
                (ns.Spec ??= new V1NamespaceSpec()).Finalizers ??= ["kubernetes"];
                (ns.Status ??= new V1NamespaceStatus()).Phase ??= "Active";
                break;
            case V1Deployment deployment:
                var spec = deployment.Spec ??= new V1DeploymentSpec();
                spec.Replicas ??= 1;
                spec.RevisionHistoryLimit ??= 10;
                spec.ProgressDeadlineSeconds ??= 600;
                spec.Strategy ??= new V1DeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = "25%", MaxUnavailable = "25%" },
                };
                PodSpec((spec.Template ??= new V1PodTemplateSpec()).Spec ??= new V1PodSpec());
                break;
            case V1Pod pod:
                PodSpec(pod.Spec ??= new V1PodSpec());
                (pod.Status ??= new V1PodStatus()).Phase ??= "Pending";
                pod.Status.QosClass ??= "BestEffort";
                break;
            case V1Service service:
                ServiceSpec(service.Spec ??= new V1ServiceSpec(), (current as V1Service)?.Spec);
                break;
        }
    }

    private static void PodSpec(V1PodSpec spec)
    {
        spec.RestartPolicy ??= "Always";
        spec.DnsPolicy ??= "ClusterFirst";
        spec.SchedulerName ??= "default-scheduler";
        spec.TerminationGracePeriodSeconds ??= 30;
        spec.SecurityContext ??= new V1PodSecurityContext();
        foreach (var container in spec.Containers ?? [])
        {
            container.TerminationMessagePath ??= "/dev/termination-log";
            container.TerminationMessagePolicy ??= "File";
            container.ImagePullPolicy ??= PullsAlways(container.Image) ? "Always" : "IfNotPresent";
            foreach (var port in container.Ports ?? [])
            {
                port.Protocol ??= "TCP";
            }
        }
    }

    /// <summary>The API server's rule: <c>:latest</c> or no tag (and no digest) pulls every time.</summary>
    private static bool PullsAlways(string? image)
    {
        if (string.IsNullOrEmpty(image) || image.Contains('@'))
        {
            return false;
        }

        var lastSegment = image[(image.LastIndexOf('/') + 1)..];
        var colon = lastSegment.IndexOf(':');
        return colon < 0 || lastSegment[(colon + 1)..] == "latest";
    }

    private void ServiceSpec(V1ServiceSpec spec, V1ServiceSpec? current)
    {
        spec.Type ??= "ClusterIP";
        spec.SessionAffinity ??= "None";
        spec.InternalTrafficPolicy ??= "Cluster";
        spec.IpFamilies ??= ["IPv4"];
        spec.IpFamilyPolicy ??= "SingleStack";
        if (spec.Type != "ExternalName" && spec.ClusterIP != "None")
        {
            // Cluster IPs come from the loopback range so that nothing a test does with one can leave the machine.
            spec.ClusterIP ??= current?.ClusterIP ?? NextClusterIp();
            spec.ClusterIPs ??= [spec.ClusterIP];
        }

        foreach (var port in spec.Ports ?? [])
        {
            port.Protocol ??= "TCP";
            port.TargetPort ??= port.Port;
        }
    }

    private string NextClusterIp()
    {
        var n = Interlocked.Increment(ref _clusterIps);
        return $"127.96.{n / 250}.{(n % 250) + 1}";
    }
}
