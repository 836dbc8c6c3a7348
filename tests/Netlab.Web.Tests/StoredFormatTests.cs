using System.Text.Json.Nodes;
using Netlab.Labs;
using Netlab.Labs.Core;

namespace Netlab.Web.Tests;

/// <summary>
/// What the first release stored and sent must still read back after the code moves on. The
/// fixtures (Fixtures/README.md says how they were made) come from commit 8ccf951: a database
/// with runs of every probe, and 1-3 events of every kind as the API sent them.
/// </summary>
public class StoredFormatTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Fact]
    public void Every_event_kind_as_the_first_release_wrote_it_reads_back_as_its_type_and_writes_back_its_fields_unchanged()
    {
        var events = JsonNode.Parse(File.ReadAllText(Fixture("events-2026-12-03.json")))!.AsArray();
        var registered = LabCatalog.AllEvents.ToDictionary(k => k.Kind, k => k.Type);
        // Every kind the first release stored is still registered under its name; the kinds added
        // since (by the labs added since) are named here, so a renamed old kind still fails.
        string[] addedSince = ["consoleClosed", "echoChunk", "echoSeen", "portResult", "timeEstimate", "timeRequestSeen"];
        Assert.Equal(registered.Keys.Except(addedSince).Order(), events.Select(e => (string)e!["kind"]!).Distinct().Order());

        foreach (var stored in events)
        {
            var read = LabJson.Deserialize(stored!.ToJsonString());
            Assert.IsType(registered[(string)stored["kind"]!], read);
            // Every stored field reads back and is written again unchanged; a field added since (with a default) is allowed.
            var written = JsonNode.Parse(LabJson.Serialize(read!))!.AsObject();
            foreach (var (name, value) in stored.AsObject())
                Assert.True(JsonNode.DeepEquals(value, written[name]), $"{name} of {stored.ToJsonString()}\nwritten: {written.ToJsonString()}");
        }
    }

    [Fact]
    public void The_kinds_added_since_write_and_read_back_as_their_types()
    {
        LabEvent[] added =
        [
            new Netlab.Labs.TcpConsole.ConsoleClosed("server", "closed", 10, 20),
            new Netlab.Labs.Echo.EchoChunk(1, 2, 3, "a\\n", 0.5),
            new Netlab.Labs.Echo.EchoSeen("127.0.0.1:5", "tcp", 6, "hello.", "HELLO.", 2),
            new Netlab.Labs.PortScan.PortResult(22, Netlab.Labs.PortScan.PortState.Filtered, "ssh", null),
            new Netlab.Labs.Time.TimeEstimate(1, "2026-12-03T00:00:00.000000Z", 0.1, 12.5, 0.05, null),
            new Netlab.Labs.Time.TimeRequestSeen("127.0.0.1:6", "reqtime", "2026-12-03T00:00:00.000000Z"),
        ];
        foreach (var e in added)
        {
            var json = LabJson.Serialize(e);
            Assert.Equal(e, LabJson.Deserialize(json));
        }
    }

    [Fact]
    public async Task A_database_made_by_the_first_release_opens_and_every_run_and_event_reads_back_unchanged()
    {
        var data = NetlabFactory.NewDataDirectory();
        Directory.CreateDirectory(data);
        File.Copy(Fixture("netlab-2026-12-03.db"), Path.Combine(data, "netlab.db"));
        await using var portal = new NetlabFactory(data);
        var client = portal.CreateClient();

        var runs = JsonNode.Parse(File.ReadAllText(Fixture("runs-2026-12-03.json")))!["runs"]!.AsArray();
        Assert.Equal(20, runs.Count);
        foreach (var expected in runs)
        {
            var id = (string)expected!["id"]!;
            var run = await client.GetJsonAsync($"/api/runs/{id}");
            // Every field the first release answered is unchanged; a field added since is empty for an old run
            // (e.g. "owner": runs from before accounts belong to no one).
            foreach (var (name, value) in expected["run"]!.AsObject())
                Assert.True(JsonNode.DeepEquals(value, run[name]), $"{name} of run {id}: {run.ToJsonString()}");
            foreach (var (name, value) in run.Where(p => !expected["run"]!.AsObject().ContainsKey(p.Key)))
                Assert.True(value is null, $"{name} of old run {id} is {value?.ToJsonString()}");

            var events = await client.EventsAsync(id);
            Assert.True(JsonNode.DeepEquals(expected["events"], events), $"events of {id}");

            // The stream reads every stored event back into its record and writes it again.
            var stream = (await client.GetStringAsync($"/api/runs/{id}/events/stream")).Split('\n');
            var streamed = stream.Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l[6..])).ToList();
            var names = stream.Where(l => l.StartsWith("event: ", StringComparison.Ordinal)).Select(l => l[7..]).ToList();
            Assert.Equal((int)expected["eventCount"]!, streamed.Count);
            Assert.Equal(events.Select(e => (string)e!["kind"]!), names);
            for (var i = 0; i < streamed.Count; i++)
                Assert.True(JsonNode.DeepEquals(events[i], streamed[i]), $"event {i + 1} of {id}: {streamed[i]!.ToJsonString()}");
        }
    }
}
