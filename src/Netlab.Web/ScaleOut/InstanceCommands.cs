using System.Collections.Concurrent;
using System.Text.Json;
using Netlab.Web.Hosting;
using StackExchange.Redis;

namespace Netlab.Web.ScaleOut;

/// <summary>What the owning instance answered to a relayed command: an HTTP status, a content type and a body.</summary>
public sealed record CommandReply(int Status, string? ContentType, byte[] Body, string? Location = null)
{
    public static CommandReply Ok(string text = "") => new(StatusCodes.Status200OK, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(text));

    public static CommandReply Problem(ProblemException e) =>
        new(e.Status, "application/problem+json", JsonSerializer.SerializeToUtf8Bytes(e.ToProblemDetails()));

    /// <summary>The reply as the caller's exception when it is a problem (so a relayed stop fails as a local one would).</summary>
    public CommandReply ThrowIfProblem()
    {
        if (Status < 400)
            return this;
        string? title = null, detail = null;
        try
        {
            using var json = JsonDocument.Parse(Body);
            title = json.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
            detail = json.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        catch (JsonException)
        {
        }
        throw new ProblemException(Status, title ?? "Failed", detail ?? System.Text.Encoding.UTF8.GetString(Body));
    }
}

/// <summary>Request and reply between instances: a command for a run or a server goes to the instance that owns it.</summary>
public interface IInstanceCommands
{
    /// <summary>
    /// Sends a command to another instance and waits for its reply; a ProblemException (503/504)
    /// when no instance answers within Netlab:Instance:CommandTimeoutSeconds.
    /// </summary>
    Task<CommandReply> SendAsync(string instanceId, string kind, string payload, CancellationToken cancellationToken);
}

/// <summary>What an instance does with a command another one sent it (<see cref="OwnerCommands"/>).</summary>
public interface IOwnerCommandHandler
{
    Task<CommandReply> ExecuteAsync(string kind, string payload, CancellationToken cancellationToken);
}

/// <summary>One process: there is no other instance to ask.</summary>
public sealed class NoInstanceCommands : IInstanceCommands
{
    public Task<CommandReply> SendAsync(string instanceId, string kind, string payload, CancellationToken cancellationToken) =>
        throw OwnerGone(instanceId);

    public static ProblemException OwnerGone(string instanceId) => new(StatusCodes.Status503ServiceUnavailable, "Owner not answering",
        $"This lives in the portal instance {instanceId}, which does not answer. If it stopped, its runs and servers are marked Interrupted within its lease (Netlab:Instance:LeaseSeconds).",
        extensions: new Dictionary<string, object?> { ["instance"] = instanceId });
}

/// <summary>
/// Commands over Redis pub/sub: each instance listens on "netlab:instance:{id}" for requests and
/// on "netlab:replies:{id}" for answers, matched by a request id. The owner carries a request out
/// with <see cref="IOwnerCommandHandler"/> (resolved lazily: it needs the managers, which need the relay).
/// </summary>
public sealed class RedisInstanceCommands(RedisConnection redis, PortalInstance self, IServiceProvider services, ILogger<RedisInstanceCommands> logger)
    : IInstanceCommands, IHostedService
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<CommandReply>> pending = new();
    private ChannelMessageQueue? requests, replies;

    private sealed record Request(Guid Id, string From, string Kind, string Payload);

    private sealed record Reply(Guid Id, int Status, string? ContentType, byte[] Body, string? Location);

    private static RedisChannel Requests(string instance) => RedisChannel.Literal($"netlab:instance:{instance}");

    private static RedisChannel Replies(string instance) => RedisChannel.Literal($"netlab:replies:{instance}");

    public async Task<CommandReply> SendAsync(string instanceId, string kind, string payload, CancellationToken cancellationToken)
    {
        var request = new Request(Guid.NewGuid(), self.Id, kind, payload);
        var answer = new TaskCompletionSource<CommandReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[request.Id] = answer;
        try
        {
            var listeners = await redis.Subscriber.PublishAsync(Requests(instanceId), JsonSerializer.Serialize(request));
            if (listeners == 0)
                throw NoInstanceCommands.OwnerGone(instanceId);
            try
            {
                return await answer.Task.WaitAsync(self.CommandTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new ProblemException(StatusCodes.Status504GatewayTimeout, "Owner not answering",
                    $"The portal instance {instanceId}, which owns this, did not answer within {self.CommandTimeout.TotalSeconds:0} s (Netlab:Instance:CommandTimeoutSeconds). Try again.",
                    extensions: new Dictionary<string, object?> { ["instance"] = instanceId });
            }
        }
        catch (RedisException e)
        {
            throw new ProblemException(StatusCodes.Status503ServiceUnavailable, "Redis unreachable",
                $"The command could not be sent to the portal instance {instanceId}: Redis does not answer ({e.Message}).");
        }
        finally
        {
            pending.TryRemove(request.Id, out _);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        replies = await redis.Subscriber.SubscribeAsync(Replies(self.Id));
        replies.OnMessage(message =>
        {
            if (JsonSerializer.Deserialize<Reply>((string)message.Message!) is { } reply && pending.TryGetValue(reply.Id, out var answer))
                answer.TrySetResult(new CommandReply(reply.Status, reply.ContentType, reply.Body, reply.Location));
        });
        requests = await redis.Subscriber.SubscribeAsync(Requests(self.Id));
        // Each request on its own task: a slow one (a server's stop) must not hold up the next.
        requests.OnMessage(message =>
        {
            if (JsonSerializer.Deserialize<Request>((string)message.Message!) is { } request)
                _ = Task.Run(() => AnswerAsync(request));
        });
    }

    private async Task AnswerAsync(Request request)
    {
        CommandReply reply;
        try
        {
            using var timeout = new CancellationTokenSource(self.CommandTimeout);
            reply = await services.GetRequiredService<IOwnerCommandHandler>().ExecuteAsync(request.Kind, request.Payload, timeout.Token);
        }
        catch (ProblemException e)
        {
            reply = CommandReply.Problem(e);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Command {Kind} from instance {From} failed", request.Kind, request.From);
            reply = CommandReply.Problem(new ProblemException(StatusCodes.Status500InternalServerError, "Command failed",
                $"The portal instance {self.Id} could not carry out the command ({e.GetType().Name}); its log has the details."));
        }
        try
        {
            await redis.Subscriber.PublishAsync(Replies(request.From),
                JsonSerializer.Serialize(new Reply(request.Id, reply.Status, reply.ContentType, reply.Body, reply.Location)));
        }
        catch (RedisException e)
        {
            logger.LogWarning("Could not answer instance {From}: {Reason}", request.From, e.Message);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (requests is not null)
            await requests.UnsubscribeAsync();
        if (replies is not null)
            await replies.UnsubscribeAsync();
    }
}
