using Docker.DotNet;
using MeshDev.Testing.Docker;

namespace MeshDev.DockerBench;

/// <summary>
/// The image under test: <c>meshdev-test/dotnet-aot:{hash}</c> (tests/MeshDev.ContainerService published with NativeAOT in
/// a FROM-scratch image), built by the Docker tests' own code when it is missing.
/// </summary>
internal static class AotImage
{
    // The test fixture's lock (tests/Shared/Docker/TestImages.cs): a test run building the same image
    // right now is waited for rather than raced.
    private static readonly string LockPath = Path.Combine(Path.GetTempPath(), "meshdev-test-images.lock");

    public static async Task<string> EnsureAsync(DockerClient client, CancellationToken cancellationToken)
    {
        await using var exclusive = await LockAsync(cancellationToken).ConfigureAwait(false);
        return await DotnetAotImage.EnsureAsync(client, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Linux; the kernel drops it if this process dies.
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
