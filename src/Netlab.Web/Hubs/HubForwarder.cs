using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace Netlab.Web.Hubs;

/// <summary>
/// Sends one source's messages to its hub group in order, on a task of its own. A group send
/// waits for the slowest connection in the group, and a client that never reads would otherwise
/// hold up the event pump, and with it the run or the server itself. Once the source has ended,
/// what is still queued gets <see cref="Grace"/> to go out; after that the rest is dropped (and
/// logged), so a stalled client cannot keep a finished run's events in memory.
/// Events go out as "events" messages of a whole batch each; batches still waiting when the
/// previous send ends are merged (up to <see cref="MaxEventsPerMessage"/>), so a class of busy
/// runs costs a message per send, not one per event.
/// </summary>
public sealed class HubForwarder
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    /// <summary>The most events merged into one "events" message.</summary>
    public const int MaxEventsPerMessage = 1024;

    private readonly Channel<(string Method, object? Argument)> queue = Channel.CreateUnbounded<(string, object?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource giveUp = new();
    private readonly IClientProxy group;
    private readonly ILogger logger;
    private readonly string name;

    public HubForwarder(IClientProxy group, ILogger logger, string name)
    {
        (this.group, this.logger, this.name) = (group, logger, name);
        Completion = Task.Run(ForwardAsync);
    }

    /// <summary>Ends when everything queued was sent, or was dropped after the grace.</summary>
    public Task Completion { get; }

    public void Post(string method, object? argument) => queue.Writer.TryWrite((method, argument));

    /// <summary>Posts a batch of events as their stored JSON, sent as an "events" message (an array, in order).</summary>
    public void PostEvents(IReadOnlyList<string> json)
    {
        if (json.Count > 0)
            queue.Writer.TryWrite((EventsMethod, new RawJsonArray(json)));
    }

    private const string EventsMethod = "events";

    /// <summary>Nothing more will be posted: send what is queued within the grace.</summary>
    public void Complete()
    {
        queue.Writer.TryComplete();
        try { giveUp.CancelAfter(Grace); } catch (ObjectDisposedException) { }
    }

    /// <summary>The next message, with the event batches right behind it merged in; null when none is waiting.</summary>
    private (string Method, object? Argument)? TakeNext()
    {
        if (!queue.Reader.TryRead(out var next))
            return null;
        if (next.Argument is not RawJsonArray first)
            return next;
        List<string>? merged = null;
        var count = first.Items.Count;
        while (queue.Reader.TryPeek(out var after) && after.Argument is RawJsonArray more && count + more.Items.Count <= MaxEventsPerMessage)
        {
            queue.Reader.TryRead(out _);
            (merged ??= [.. first.Items]).AddRange(more.Items);
            count += more.Items.Count;
        }
        return merged is null ? next : (EventsMethod, new RawJsonArray(merged));
    }

    private async Task ForwardAsync()
    {
        try
        {
            while (await queue.Reader.WaitToReadAsync())
                while (TakeNext() is var (method, argument))
                    await group.SendAsync(method, argument, giveUp.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("A hub client of {Source} read too slowly; {Grace} s after the end, the messages still waiting were dropped",
                name, Grace.TotalSeconds);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Forwarding the hub messages of {Source} failed", name);
        }
        finally
        {
            giveUp.Dispose();
        }
    }
}

/// <summary>
/// Items that are already JSON (events as stored), written as one array without parsing them
/// again: hub clients get exactly the JSON the API returns.
/// </summary>
[JsonConverter(typeof(Converter))]
public sealed record RawJsonArray(IReadOnlyList<string> Items)
{
    private sealed class Converter : JsonConverter<RawJsonArray>
    {
        public override RawJsonArray Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("RawJsonArray is only written.");

        public override void Write(Utf8JsonWriter writer, RawJsonArray value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            foreach (var json in value.Items)
                writer.WriteRawValue(json, skipInputValidation: true);
            writer.WriteEndArray();
        }
    }
}
