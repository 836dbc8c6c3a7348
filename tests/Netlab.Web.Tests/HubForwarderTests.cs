using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging.Abstractions;
using Netlab.Web.Hubs;

namespace Netlab.Web.Tests;

/// <summary>
/// How a run's events leave for its hub group: one "events" message per batch, and batches that
/// queued up behind a slow send merged into one message, in order, with the end after them.
/// (HubTests follows the same messages over a real connection with the npm client.)
/// </summary>
public sealed class HubForwarderTests
{
    /// <summary>A group whose first send waits until released, recording what it was sent as JSON.</summary>
    private sealed class HeldGroup : IClientProxy
    {
        public TaskCompletionSource FirstSendStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<(string Method, string Json)> Sent { get; } = [];

        public async Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
        {
            Sent.Add((method, JsonSerializer.Serialize(args[0])));
            if (Sent.Count == 1)
            {
                FirstSendStarted.TrySetResult();
                await Release.Task;
            }
        }
    }

    [Fact]
    public async Task Batches_waiting_behind_a_slow_send_go_out_as_one_events_message_in_order_and_the_end_last()
    {
        var group = new HeldGroup();
        var forwarder = new HubForwarder(group, NullLogger.Instance, "run test");

        forwarder.PostEvents(["{\"seq\":1}", "{\"seq\":2}"]);
        await group.FirstSendStarted.Task.WaitAsync(Eventually.Deadline);
        // The first send is still going: these queue up behind it.
        forwarder.PostEvents(["{\"seq\":3}"]);
        forwarder.PostEvents([]);
        forwarder.PostEvents(["{\"seq\":4}", "{\"seq\":5}"]);
        forwarder.Post("runEnded", new { status = "Succeeded" });
        forwarder.Complete();
        group.Release.SetResult();
        await forwarder.Completion.WaitAsync(Eventually.Deadline);

        Assert.Equal(
        [
            ("events", "[{\"seq\":1},{\"seq\":2}]"),
            ("events", "[{\"seq\":3},{\"seq\":4},{\"seq\":5}]"),
            ("runEnded", "{\"status\":\"Succeeded\"}"),
        ], group.Sent);
    }

    [Fact]
    public async Task A_merged_message_holds_at_most_its_limit_of_events()
    {
        var group = new HeldGroup();
        var forwarder = new HubForwarder(group, NullLogger.Instance, "run test");
        forwarder.PostEvents(["0"]);
        await group.FirstSendStarted.Task.WaitAsync(Eventually.Deadline);
        var batch = Enumerable.Range(0, HubForwarder.MaxEventsPerMessage / 2 + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        forwarder.PostEvents(batch);
        forwarder.PostEvents(batch);
        forwarder.Complete();
        group.Release.SetResult();
        await forwarder.Completion.WaitAsync(Eventually.Deadline);

        // Two half-plus-one batches do not fit in one message: they go as they came.
        Assert.Equal(3, group.Sent.Count);
        Assert.All(group.Sent.Skip(1), s => Assert.Equal(batch.Count, JsonDocument.Parse(s.Json).RootElement.GetArrayLength()));
    }
}
