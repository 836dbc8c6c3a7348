using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Netlab.Web.ScaleOut;

/// <summary>An API endpoint of a live run or server that every instance answers itself from the store (reads, event streams): never relayed.</summary>
public sealed class ServedByAnyInstanceAttribute : Attribute;

/// <summary>
/// API requests that act on a live run or server (stop, reload, cancel, pause, a lab's own
/// actions such as fault injection or a zone edit) and reach an instance that does not own it are
/// relayed whole to the owner over Redis and answered with the owner's response: the same
/// access checks, results and errors as if the load balancer had sent them there.
/// </summary>
public static class OwnerForwarding
{
    /// <summary>Set on a relayed request: the owner answers it itself, never relays it again.</summary>
    public const string Header = "X-Netlab-Relayed-By";

    public static TBuilder ServedByAnyInstance<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ServedByAnyInstanceAttribute());

    /// <summary>Relays the group's (or endpoint's) requests with an {id} of a <paramref name="source"/> that lives in another instance.</summary>
    public static TBuilder ForwardToOwner<TBuilder>(this TBuilder builder, FeedSource source) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) => await RelayedAsync(context.HttpContext, source) ?? await next(context));
        return builder;
    }

    /// <summary>
    /// Relays the group's requests with an {id} of a thing that has no record (a console) and is
    /// held by another instance (<see cref="LiveOwners"/>). Add it before the group's access check:
    /// the owner checks access itself.
    /// </summary>
    public static TBuilder ForwardToRegisteredOwner<TBuilder>(this TBuilder builder, string kind, Func<IServiceProvider, Guid, bool> isHere)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) => await RelayedAsync(context.HttpContext,
            (services, id, _) => isHere(services, id) ? Task.FromResult<string?>(null) : services.GetRequiredService<LiveOwners>().RemoteOwnerAsync(kind, id))
            ?? await next(context));
        return builder;
    }

    /// <summary>The owner's answer when the request is for a live source in another instance; null to handle it here.</summary>
    public static Task<IResult?> RelayedAsync(HttpContext http, FeedSource source) => RelayedAsync(http,
        (services, id, cancellationToken) => services.GetRequiredService<OwnerCommands>().RemoteOwnerAsync(source, id, cancellationToken));

    private static async Task<IResult?> RelayedAsync(HttpContext http, Func<IServiceProvider, Guid, CancellationToken, Task<string?>> remoteOwner)
    {
        var instance = http.RequestServices.GetRequiredService<PortalInstance>();
        if (instance.Redis is null
            || http.Request.Headers.ContainsKey(Header)
            || http.GetEndpoint()?.Metadata.GetMetadata<ServedByAnyInstanceAttribute>() is not null
            || http.Request.RouteValues["id"] is not string text || !Guid.TryParse(text, out var id))
            return null;
        if (await remoteOwner(http.RequestServices, id, http.RequestAborted) is not { } owner)
            return null;
        var request = await ForwardedRequests.CaptureAsync(http, instance.Id);
        var reply = await http.RequestServices.GetRequiredService<IInstanceCommands>().SendAsync(owner, ForwardedRequests.Kind, request, http.RequestAborted);
        return new RelayedResult(reply, owner);
    }

    private sealed class RelayedResult(CommandReply reply, string owner) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = reply.Status;
            http.Response.Headers["X-Netlab-Instance"] = owner;
            if (reply.Location is not null)
                http.Response.Headers.Location = reply.Location;
            if (reply.ContentType is not null)
                http.Response.ContentType = reply.ContentType;
            if (reply.Body.Length > 0)
                await http.Response.Body.WriteAsync(reply.Body, http.RequestAborted);
        }
    }
}

/// <summary>
/// A relayed API request: the caller's method, path, credentials and body; the owner sends it to
/// its own listening address (so its whole pipeline, sign-in included, runs as for any request)
/// and relays the response back. Sign-in cookies work there because every instance shares the
/// data protection keys; API keys are in the shared database.
/// </summary>
public sealed class ForwardedRequests(IServer server, ILogger<ForwardedRequests> logger) : IDisposable
{
    /// <summary>The command that carries a relayed request.</summary>
    public const string Kind = "relayed-request";

    private sealed record Captured(string Method, string PathAndQuery, Dictionary<string, string[]> Headers, byte[] Body);

    // Hop-by-hop and framing headers are the transport's own. Host is kept: the owner checks a
    // signed-in browser's Origin against it, as the instance the browser reached did.
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    { "Connection", "Content-Length", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Expect" };

    private readonly HttpClient client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        // Only ever our own listener: its certificate may be a development one.
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    public static async Task<string> CaptureAsync(HttpContext http, string relayedBy)
    {
        using var body = new MemoryStream();
        // The endpoint may have read it already (a bound body): buffered, so from the start again.
        if (http.Request.Body.CanSeek)
            http.Request.Body.Position = 0;
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        var headers = http.Request.Headers.Where(h => !Skipped.Contains(h.Key)).ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? "").ToArray());
        headers[OwnerForwarding.Header] = [relayedBy];
        return JsonSerializer.Serialize(new Captured(http.Request.Method, http.Request.PathBase + http.Request.Path + http.Request.QueryString, headers, body.ToArray()));
    }

    public async Task<CommandReply> ExecuteAsync(string payload, CancellationToken cancellationToken)
    {
        var captured = JsonSerializer.Deserialize<Captured>(payload) ?? throw new JsonException("empty request");
        using var request = new HttpRequestMessage(new HttpMethod(captured.Method), new Uri(OwnAddress(), captured.PathAndQuery));
        if (captured.Body.Length > 0 || captured.Method is "POST" or "PUT" or "PATCH")
            request.Content = new ByteArrayContent(captured.Body);
        foreach (var (name, values) in captured.Headers)
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
                request.Headers.Host = values.FirstOrDefault();
            else if (!request.Headers.TryAddWithoutValidation(name, values))
                request.Content?.Headers.TryAddWithoutValidation(name, values);
        using var response = await client.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        logger.LogDebug("Carried out {Method} {Path} relayed by {Instance}: {Status}", captured.Method, captured.PathAndQuery, captured.Headers[OwnerForwarding.Header][0], (int)response.StatusCode);
        return new CommandReply((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), body, response.Headers.Location?.ToString());
    }

    /// <summary>This process's own listener, a wildcard address replaced by loopback.</summary>
    private Uri OwnAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The portal listens on no address.");
        var builder = new UriBuilder(address.Replace("://+", "://localhost").Replace("://*", "://localhost"));
        builder.Host = builder.Host switch { "0.0.0.0" => "127.0.0.1", "[::]" or "::" => "[::1]", var host => host };
        return builder.Uri;
    }

    public void Dispose() => client.Dispose();
}
