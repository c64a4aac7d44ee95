using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Docker.DotNet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Testing.Docker;

/// <summary>
/// A stand-in for a container registry: no real registry can be pulled, installed or reached from these machines. An
/// in-process Kestrel server on 127.0.0.1 that speaks just enough of the Docker Registry HTTP API v2 for the real engine's
/// <c>docker pull 127.0.0.1:{port}/meshdev-test/pullme:1</c> (dockerd treats registries on 127.0.0.0/8 as insecure and
/// talks plain HTTP to them, no daemon configuration needed). It serves one image, made from <c>docker save</c> of a local
/// image: its config and its layers, gzipped so the engine downloads and extracts them with real progress.
/// </summary>
public sealed class TestRegistry : IAsyncDisposable
{
    /// <summary>The repository the registry serves (under its host).</summary>
    public const string RepositoryPath = "meshdev-test/pullme";

    /// <summary>The one tag it serves.</summary>
    public const string ServedTag = "1";

    /// <summary>Schema 2 image manifest media type (what the engine asks for first).</summary>
    public const string ManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";

    private const string ConfigMediaType = "application/vnd.docker.container.image.v1+json";
    private const string LayerMediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    private const int ChunkSize = 64 * 1024;

    private readonly WebApplication _server;
    private readonly byte[] _manifest;
    private readonly Dictionary<string, byte[]> _blobs;
    private readonly List<string> _requests = [];
    private volatile bool _available = true;
    private long _blobChunkDelayTicks;

    private TestRegistry(WebApplication server, byte[] manifest, Dictionary<string, byte[]> blobs, IReadOnlyList<string> layerDigests)
    {
        _server = server;
        _manifest = manifest;
        _blobs = blobs;
        ManifestDigest = Digest(manifest);
        LayerDigests = layerDigests;
    }

    /// <summary>The port it listens on (127.0.0.1, picked by the OS).</summary>
    public int Port { get; private set; }

    /// <summary><c>127.0.0.1:{port}</c>: the registry part of image references.</summary>
    public string Host => $"127.0.0.1:{Port}";

    /// <summary><c>127.0.0.1:{port}/meshdev-test/pullme</c>, the repository as the engine names it.</summary>
    public string Repository => $"{Host}/{RepositoryPath}";

    /// <summary><c>127.0.0.1:{port}/meshdev-test/pullme:1</c>, the image it serves.</summary>
    public string Reference => $"{Repository}:{ServedTag}";

    /// <summary>An image reference on this registry that it answers 404 (NAME_UNKNOWN) for.</summary>
    public string UnknownReference => $"{Host}/meshdev-test/unknown:{ServedTag}";

    /// <summary>The digest of the served manifest (<c>sha256:…</c>); <c>{Repository}@{ManifestDigest}</c> pulls too.</summary>
    public string ManifestDigest { get; }

    /// <summary>The digests of the served (gzipped) layer blobs, in manifest order.</summary>
    public IReadOnlyList<string> LayerDigests { get; }

    /// <summary>False: the served image is unknown too (every manifest and blob request gets 404), as if it had been deleted.</summary>
    public bool Available
    {
        get => _available;
        set => _available = value;
    }

    /// <summary>A pause after each 64 KiB of a blob, so that a pull takes long enough to watch its progress. Default none.</summary>
    public TimeSpan BlobChunkDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _blobChunkDelayTicks));
        set => Interlocked.Exchange(ref _blobChunkDelayTicks, value.Ticks);
    }

    /// <summary>How many HTTP requests it has received (the engine's TLS probe, which Kestrel rejects, does not count).</summary>
    public int RequestCount
    {
        get
        {
            lock (_requests)
            {
                return _requests.Count;
            }
        }
    }

    /// <summary>The requests so far, each as <c>METHOD /path → status</c>.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts a registry serving <paramref name="sourceImage"/> (a local image, read with <c>docker save</c>) as <see cref="Reference"/>.</summary>
    public static async Task<TestRegistry> StartAsync(DockerClient docker, string sourceImage, CancellationToken cancellationToken = default)
    {
        var saved = await ReadSavedImageAsync(docker, sourceImage, cancellationToken);
        var (manifest, blobs, layerDigests) = BuildImage(saved, sourceImage);

        var server = LoopbackKestrel.CreateBuilder().Build();
        var registry = new TestRegistry(server, manifest, blobs, layerDigests);
        server.Run(registry.HandleAsync);
        registry.Port = await LoopbackKestrel.StartAsync(server, cancellationToken);
        return registry;
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        try
        {
            await RouteAsync(request, response, context.RequestAborted);
        }
        finally
        {
            lock (_requests)
            {
                _requests.Add($"{request.Method} {request.Path} → {response.StatusCode}");
            }
        }
    }

    private async Task RouteAsync(HttpRequest request, HttpResponse response, CancellationToken cancellationToken)
    {
        var path = request.Path.Value ?? "/";
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            await ErrorAsync(response, StatusCodes.Status405MethodNotAllowed, "UNSUPPORTED", "this test registry only serves pulls");
            return;
        }

        if (path is "/v2" or "/v2/")
        {
            // The version check: 200 says "API v2 here, no authentication".
            response.ContentType = "application/json";
            await response.WriteAsync("{}", cancellationToken);
            return;
        }

        // /v2/{name}/manifests/{reference} and /v2/{name}/blobs/{digest}; the name itself may hold slashes.
        var (name, kind, reference) = Parse(path);
        if (name is null || reference is null)
        {
            await ErrorAsync(response, StatusCodes.Status404NotFound, "UNSUPPORTED", $"no such endpoint: {path}");
            return;
        }

        if (name != RepositoryPath || !_available)
        {
            await ErrorAsync(response, StatusCodes.Status404NotFound, "NAME_UNKNOWN", "repository name not known to registry", name);
            return;
        }

        if (kind == "manifests")
        {
            if (reference != ServedTag && reference != ManifestDigest)
            {
                await ErrorAsync(response, StatusCodes.Status404NotFound, "MANIFEST_UNKNOWN", "manifest unknown", reference);
                return;
            }

            await WriteContentAsync(request, response, _manifest, ManifestMediaType, ManifestDigest, TimeSpan.Zero, cancellationToken);
            return;
        }

        if (!_blobs.TryGetValue(reference, out var blob))
        {
            await ErrorAsync(response, StatusCodes.Status404NotFound, "BLOB_UNKNOWN", "blob unknown to registry", reference);
            return;
        }

        await WriteContentAsync(request, response, blob, "application/octet-stream", reference, BlobChunkDelay, cancellationToken);
    }

    private static (string? Name, string? Kind, string? Reference) Parse(string path)
    {
        const string prefix = "/v2/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return (null, null, null);
        }

        var rest = path[prefix.Length..];
        foreach (var kind in (string[])["manifests", "blobs"])
        {
            var marker = $"/{kind}/";
            var at = rest.LastIndexOf(marker, StringComparison.Ordinal);
            if (at > 0 && at + marker.Length < rest.Length)
            {
                return (rest[..at], kind, rest[(at + marker.Length)..]);
            }
        }

        return (null, null, null);
    }

    private static async Task WriteContentAsync(HttpRequest request, HttpResponse response, byte[] content, string mediaType, string digest, TimeSpan chunkDelay, CancellationToken cancellationToken)
    {
        response.ContentType = mediaType;
        response.ContentLength = content.Length;
        response.Headers["Docker-Content-Digest"] = digest;
        response.Headers.ETag = $"\"{digest}\"";
        if (HttpMethods.IsHead(request.Method))
        {
            return;
        }

        for (var offset = 0; offset < content.Length; offset += ChunkSize)
        {
            await response.Body.WriteAsync(content.AsMemory(offset, Math.Min(ChunkSize, content.Length - offset)), cancellationToken);
            if (chunkDelay > TimeSpan.Zero)
            {
                await response.Body.FlushAsync(cancellationToken);
                await Task.Delay(chunkDelay, cancellationToken);
            }
        }
    }

    // The registry's error body: {"errors": [{"code", "message", "detail"}]}; the engine quotes code and message.
    private static async Task ErrorAsync(HttpResponse response, int status, string code, string message, string? detail = null)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        var body = new JsonObject
        {
            ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message, ["detail"] = detail }),
        };
        await response.WriteAsync(body.ToJsonString());
    }

    /// <summary>The files of <c>docker save</c>'s tar, by name (an image of a few layers fits in memory).</summary>
    private static async Task<Dictionary<string, byte[]>> ReadSavedImageAsync(DockerClient docker, string image, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        // Read whole first: Docker.DotNet's chunked response stream fails the short reads TarReader makes at entry ends.
        using var saved = new MemoryStream();
        await using (var response = await docker.Images.SaveImageAsync(image, cancellationToken))
        {
            await response.CopyToAsync(saved, cancellationToken);
        }

        saved.Position = 0;
        await using var reader = new TarReader(saved);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var name = entry.Name.TrimStart('.', '/');
            if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
            {
                // Newer engines link a layer that several images share instead of writing it twice.
                var target = entry.EntryType == TarEntryType.HardLink ? entry.LinkName : Path.Combine(Path.GetDirectoryName(name) ?? "", entry.LinkName);
                links[name] = Path.GetFullPath(target, "/").TrimStart('/');
            }
            else if (entry.DataStream is { } data)
            {
                using var copy = new MemoryStream();
                await data.CopyToAsync(copy, cancellationToken);
                files[name] = copy.ToArray();
            }
        }

        foreach (var (name, target) in links)
        {
            if (files.TryGetValue(target, out var content))
            {
                files[name] = content;
            }
        }

        return files;
    }

    /// <summary>The manifest and blobs to serve, from <c>docker save</c>'s files.</summary>
    private static (byte[] Manifest, Dictionary<string, byte[]> Blobs, IReadOnlyList<string> LayerDigests) BuildImage(Dictionary<string, byte[]> saved, string image)
    {
        if (!saved.TryGetValue("manifest.json", out var savedManifest))
        {
            throw new InvalidOperationException($"docker save of {image} holds no manifest.json");
        }

        var entry = JsonNode.Parse(savedManifest)!.AsArray().Single()!;
        var configPath = entry["Config"]!.GetValue<string>();
        var layerPaths = entry["Layers"]!.AsArray().Select(layer => layer!.GetValue<string>()).ToArray();

        // Pulls must download every time: the engine skips an image whose config digest (its image ID) it has, and a layer
        // blob whose digest it has pulled before. So each registry serves its own config (a label differs) and its own
        // gzip bytes (the gzip header's MTIME differs; the content, and so the layer's diff ID, stays the same).
        var nonce = RandomNumberGenerator.GetInt32(1, int.MaxValue);
        var config = JsonNode.Parse(saved[configPath])!.AsObject();
        var containerConfig = config["config"] as JsonObject ?? new JsonObject();
        config["config"] = containerConfig;
        var labels = containerConfig["Labels"] as JsonObject ?? new JsonObject();
        containerConfig["Labels"] = labels;
        labels["meshdev.test.registry"] = $"{nonce}";
        var configBlob = Encoding.UTF8.GetBytes(config.ToJsonString());

        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [Digest(configBlob)] = configBlob };
        var layers = new List<(string Digest, int Size)>();
        foreach (var path in layerPaths)
        {
            var gzipped = Gzip(saved[path], nonce);
            var digest = Digest(gzipped);
            blobs[digest] = gzipped;
            layers.Add((digest, gzipped.Length));
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", ManifestMediaType);
            json.WriteStartObject("config");
            json.WriteString("mediaType", ConfigMediaType);
            json.WriteNumber("size", configBlob.Length);
            json.WriteString("digest", Digest(configBlob));
            json.WriteEndObject();
            json.WriteStartArray("layers");
            foreach (var (digest, size) in layers)
            {
                json.WriteStartObject();
                json.WriteString("mediaType", LayerMediaType);
                json.WriteNumber("size", size);
                json.WriteString("digest", digest);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return (buffer.ToArray(), blobs, [.. layers.Select(layer => layer.Digest)]);
    }

    private static byte[] Gzip(byte[] layer, int mtime)
    {
        // A layer saved by a newer engine may already be compressed: serve it as it is.
        byte[] gzipped;
        if (layer is [0x1f, 0x8b, ..])
        {
            gzipped = (byte[])layer.Clone();
        }
        else
        {
            using var buffer = new MemoryStream();
            using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(layer);
            }

            gzipped = buffer.ToArray();
        }

        // Bytes 4–7 of a gzip member are its MTIME (RFC 1952); no checksum covers the header.
        BitConverter.TryWriteBytes(gzipped.AsSpan(4, 4), mtime);
        return gzipped;
    }

    private static string Digest(byte[] content) => $"sha256:{Convert.ToHexStringLower(SHA256.HashData(content))}";
}
