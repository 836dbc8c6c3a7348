using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Netlab.Labs.Core;
using Netlab.Web.Hosting;
using Netlab.Web.Runs;
using Netlab.Web.ScaleOut;
using StackExchange.Redis;

namespace Netlab.Web.Tests.ScaleOut;

/// <summary>One redis-server for the relay and command tests of this class.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = default!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// The relay and the commands between instances over a real redis-server: what an instance
/// publishes reaches a follower in another in order, ends with the end marker, and a follower
/// that does not read is cut off; a command reaches its owner and comes back, and an owner that
/// is gone or silent gives a clear problem instead of a hang.
/// </summary>
public sealed class RedisRelayTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private readonly List<IAsyncDisposable> connections = [];

    private async Task<(PortalInstance Instance, RedisConnection Connection)> ConnectAsync(string name, int commandTimeoutSeconds = 10)
    {
        var instance = new PortalInstance(Options.Create(new NetlabOptions { Redis = redis.Server.ConnectionString, Instance = { Name = name, CommandTimeoutSeconds = commandTimeoutSeconds } }),
            new ConfigurationBuilder().Build());
        var connection = new RedisConnection(instance, NullLogger<RedisConnection>.Instance);
        await connection.StartAsync(CancellationToken.None);
        connections.Add(connection);
        return (instance, connection);
    }

    private static StoredEvent Event(Guid source, long seq) =>
        StoredEvent.From(new LogLine(LogSeverity.Info, $"line {seq}") { SourceId = source.ToString(), Seq = seq, Timestamp = DateTimeOffset.UnixEpoch.AddSeconds(seq) });

    [Fact]
    public async Task A_follower_in_another_instance_gets_every_published_batch_in_order_until_the_end_marker()
    {
        var (_, owner) = await ConnectAsync("a");
        var (_, follower) = await ConnectAsync("b");
        var ownerRelay = new RedisEventRelay(owner, NullLogger<RedisEventRelay>.Instance);
        var followerRelay = new RedisEventRelay(follower, NullLogger<RedisEventRelay>.Instance);
        var id = Guid.NewGuid();

        await using var feed = await followerRelay.SubscribeAsync(FeedSource.Run, id, CancellationToken.None);
        for (var batch = 0; batch < 20; batch++)
            await ownerRelay.PublishAsync(FeedSource.Run, id, [.. Enumerable.Range(batch * 50 + 1, 50).Select(seq => Event(id, seq))]);
        // Another source's events never reach this follower.
        await ownerRelay.PublishAsync(FeedSource.Server, id, [Event(id, 5000)]);
        await ownerRelay.EndAsync(FeedSource.Run, id);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var received = new List<LabEvent>();
        await foreach (var e in feed.Live.ReadAllAsync(timeout.Token))
            received.Add(e);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), received.Select(e => e.Seq));
        Assert.Equal("line 1000", Assert.IsType<LogLine>(received[^1]).Text);
    }

    [Fact]
    public async Task A_follower_that_does_not_read_is_cut_off_past_its_backlog()
    {
        var (_, owner) = await ConnectAsync("a");
        var (_, follower) = await ConnectAsync("b");
        var ownerRelay = new RedisEventRelay(owner, NullLogger<RedisEventRelay>.Instance);
        var followerRelay = new RedisEventRelay(follower, NullLogger<RedisEventRelay>.Instance, maxBacklog: 10);
        var id = Guid.NewGuid();

        await using var feed = await followerRelay.SubscribeAsync(FeedSource.Server, id, CancellationToken.None);
        await ownerRelay.PublishAsync(FeedSource.Server, id, [.. Enumerable.Range(1, 25).Select(seq => Event(id, seq))]);

        // Nothing was read while they came: the 11th event found the backlog full and ended the
        // follower; it still reads the 10 it holds, then learns why it ends.
        await feed.Relaying.WaitAsync(TimeSpan.FromSeconds(60));
        var read = new List<long>();
        await Assert.ThrowsAsync<SlowFollowerException>(async () =>
        {
            while (await feed.Live.WaitToReadAsync())
                while (feed.Live.TryRead(out var e))
                    read.Add(e.Seq);
        });
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), read);
    }

    private sealed class EchoHandler(string name) : IOwnerCommandHandler
    {
        public Task<CommandReply> ExecuteAsync(string kind, string payload, CancellationToken cancellationToken) => kind switch
        {
            "echo" => Task.FromResult(CommandReply.Ok($"{name}: {payload}")),
            _ => throw new ProblemException(409, "Not here", $"{name} refuses {kind}"),
        };
    }

    private async Task<(RedisInstanceCommands Commands, string Id)> CommandsAsync(string name, int commandTimeoutSeconds = 10)
    {
        var (instance, connection) = await ConnectAsync(name, commandTimeoutSeconds);
        var services = new ServiceCollection().AddSingleton<IOwnerCommandHandler>(new EchoHandler(instance.Id)).BuildServiceProvider();
        var commands = new RedisInstanceCommands(connection, instance, services, NullLogger<RedisInstanceCommands>.Instance);
        await commands.StartAsync(CancellationToken.None);
        connections.Add(services);
        return (commands, instance.Id);
    }

    [Fact]
    public async Task A_command_is_carried_out_by_the_instance_it_names_and_its_answer_or_problem_comes_back()
    {
        var (a, _) = await CommandsAsync("a");
        var (_, bId) = await CommandsAsync("b");

        var reply = await a.SendAsync(bId, "echo", "hello", CancellationToken.None);
        Assert.Equal(200, reply.Status);
        Assert.Equal($"{bId}: hello", System.Text.Encoding.UTF8.GetString(reply.Body));

        var refused = await a.SendAsync(bId, "stop", "x", CancellationToken.None);
        var problem = Assert.Throws<ProblemException>(() => refused.ThrowIfProblem());
        Assert.Equal((409, "Not here", $"{bId} refuses stop"), (problem.Status, problem.Title, problem.Message));
    }

    [Fact]
    public async Task A_command_for_an_instance_that_is_gone_is_a_503_naming_it()
    {
        var (a, _) = await CommandsAsync("a");
        var problem = await Assert.ThrowsAsync<ProblemException>(() => a.SendAsync("gone-1234", "echo", "x", CancellationToken.None));
        Assert.Equal(503, problem.Status);
        Assert.Contains("gone-1234", problem.Message);
    }

    [Fact]
    public async Task A_command_for_an_instance_that_never_answers_is_a_504_after_the_command_timeout()
    {
        var (a, _) = await CommandsAsync("a", commandTimeoutSeconds: 1);
        // Listens on the instance's channel, as a hung instance would, and never replies.
        var (_, silent) = await ConnectAsync("silent");
        await silent.Subscriber.SubscribeAsync(RedisChannel.Literal("netlab:instance:silent-0000"), (_, _) => { });

        var problem = await Assert.ThrowsAsync<ProblemException>(() => a.SendAsync("silent-0000", "echo", "x", CancellationToken.None));
        Assert.Equal(504, problem.Status);
        Assert.Contains("silent-0000", problem.Message);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var c in connections)
            await c.DisposeAsync();
    }
}
