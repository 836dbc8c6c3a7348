using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests;

/// <summary>
/// Assignments end to end through the API with an instructor and two students: the students'
/// "own servers" are Netlab web servers they start themselves (real sockets on port 0), graded by
/// the web lab's grader. Due dates are relative to now: past for late work, future for hidden details.
/// </summary>
public sealed class AssignmentsApiTests(SharedPortal portal) : PortalTest(portal)
{
    private static object Assignment(string title, DateTimeOffset due, int attempts = 0, string details = "always", double penalty = 0,
        bool acceptLate = true, string counts = "best") => new
    {
        title, lab = "http", grader = "http-grade", target = "student-server", options = new { concurrency = 4 }, points = 10,
        dueAt = due, latePenaltyPercent = penalty, attempts, counts, details, acceptLate,
    };

    [Fact]
    public async Task Instructor_creates_students_submit_and_see_their_own_visibility_attempts_override_regrade_and_csv()
    {
        var (_, instructorKey) = await TestAccounts.CreateUserAsync(Client, "Instructor");
        var (aliceId, aliceKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        var (bobId, bobKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var instructor = Client.As(instructorKey);
        using var alice = Client.As(aliceKey);
        using var bob = Client.As(bobKey);

        // Students cannot create; a bad request names the field.
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.PostAsJsonAsync("/api/assignments", Assignment("x", DateTimeOffset.UtcNow.AddDays(1)))).StatusCode);
        var bad = await instructor.PostAsJsonAsync("/api/assignments", new { title = "x", lab = "http", grader = "nope", points = 10, dueAt = DateTimeOffset.UtcNow });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("grader", (await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));

        var created = await instructor.PostAsJsonAsync("/api/assignments", Assignment("Web server " + Guid.NewGuid().ToString("N")[..6], DateTimeOffset.UtcNow.AddDays(1), attempts: 2, details: "afterDue"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var assignment = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = (string)assignment["id"]!;
        Assert.Equal("afterDue", (string)assignment["details"]!);
        Assert.Contains(await alice.GetFromJsonAsync<JsonArray>("/api/assignments") ?? [], a => (string)a!["id"]! == id);

        // Alice's server is a Netlab web server she started herself.
        var server = (await (await alice.PostAsJsonAsync("/api/servers", new { lab = "http", port = 0 })).Content.ReadFromJsonAsync<JsonObject>())!;
        var target = new { host = "127.0.0.1", port = (int)server["port"]! };
        var submitted = await alice.PostAsJsonAsync($"/api/assignments/{id}/submissions", new { target });
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var first = (await submitted.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotNull(first["runId"]);
        var graded = await GradedAsync(alice, (string)first["id"]!);
        Assert.Equal(10.0, (double)graded["score"]!);
        Assert.False((bool)graded["late"]!);
        // Details after the due date: the score shows, the checks not yet; staff see them.
        Assert.True((bool)graded["detailsHidden"]!);
        Assert.Null(graded["checks"]);
        var asStaff = await instructor.GetJsonAsync($"/api/submissions/{first["id"]}");
        Assert.All(asStaff["checks"]!.AsArray(), c => Assert.True((bool)c!["passed"]!));
        // Nor does the graded run show them to her before the due date: it is not hers to open yet.
        var gradedRun = (string)graded["runId"]!;
        foreach (var url in new[] { $"/api/runs/{gradedRun}", $"/api/runs/{gradedRun}/events", $"/api/runs/{gradedRun}/events/stream" })
            Assert.True((await alice.GetAsync(url)).StatusCode == HttpStatusCode.NotFound, url);
        Assert.DoesNotContain((await alice.GetFromJsonAsync<JsonArray>("/api/runs?limit=1000"))!, r => (string)r!["id"]! == gradedRun);
        Assert.Equal(HttpStatusCode.OK, (await instructor.GetAsync($"/api/runs/{gradedRun}/events")).StatusCode);
        var ownBook = await alice.GetJsonAsync("/api/gradebook");
        var ownColumn = ownBook["assignments"]!.AsArray().Select(a => (string)a!["id"]!).ToList().IndexOf(id);
        var ownCell = ownBook["students"]!.AsArray().Single()!["cells"]![ownColumn]!;
        Assert.Equal(10.0, (double)ownCell["score"]!);
        Assert.Null(ownCell["runId"]); // no link to a run she may not open yet

        // Bob sees neither Alice's submission nor it in his list; he cannot override.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/submissions/{first["id"]}")).StatusCode);
        Assert.Empty((await bob.GetFromJsonAsync<JsonArray>($"/api/assignments/{id}/submissions"))!);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PutAsJsonAsync($"/api/submissions/{first["id"]}/override", new { score = 10 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsync($"/api/submissions/{first["id"]}/regrade", null)).StatusCode);
        // Bob's server is a port nobody listens on any more: his submission is graded, with nothing passing.
        var bobServer = (await (await bob.PostAsJsonAsync("/api/servers", new { lab = "http", port = 0 })).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(HttpStatusCode.NoContent, (await bob.DeleteAsync($"/api/servers/{bobServer["id"]}")).StatusCode);
        var bobs = (await (await bob.PostAsJsonAsync($"/api/assignments/{id}/submissions", new { target = new { host = "127.0.0.1", port = (int)bobServer["port"]! } })).Content.ReadFromJsonAsync<JsonObject>())!;
        var bobGraded = await GradedAsync(bob, (string)bobs["id"]!);
        Assert.Equal(0.0, (double)bobGraded["score"]!);

        // Two attempts, then 409.
        await GradedAsync(alice, (string)(await (await alice.PostAsJsonAsync($"/api/assignments/{id}/submissions", new { target })).Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        var third = await alice.PostAsJsonAsync($"/api/assignments/{id}/submissions", new { target });
        Assert.Equal(HttpStatusCode.Conflict, third.StatusCode);
        Assert.Contains("2 attempts", await third.Content.ReadAsStringAsync());
        Assert.Equal(2, (await alice.GetFromJsonAsync<JsonArray>($"/api/assignments/{id}/submissions"))!.Count);
        Assert.Equal(3, (await instructor.GetFromJsonAsync<JsonArray>($"/api/assignments/{id}/submissions"))!.Count);

        // The due date passes (moved into the past): Alice now sees her checks.
        Assert.Equal(HttpStatusCode.OK, (await instructor.PutAsJsonAsync($"/api/assignments/{id}", new { dueAt = DateTimeOffset.UtcNow.AddMinutes(-1) })).StatusCode);
        var visible = await alice.GetJsonAsync($"/api/submissions/{first["id"]}");
        Assert.False((bool)visible["detailsHidden"]!);
        Assert.NotEmpty(visible["checks"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/runs/{visible["runId"]}/events")).StatusCode);

        // Override Bob's 0 with a comment: both kept, the override counts.
        var overridden = await instructor.PutAsJsonAsync($"/api/submissions/{bobs["id"]}/override", new { score = 7.5, comment = "Server was down during grading; checked by hand." });
        Assert.Equal(HttpStatusCode.OK, overridden.StatusCode);
        var bobNow = await bob.GetJsonAsync($"/api/submissions/{bobs["id"]}");
        Assert.Equal(0.0, (double)bobNow["score"]!);
        Assert.Equal(7.5, (double)bobNow["counted"]!);
        Assert.Equal("Server was down during grading; checked by hand.", (string)bobNow["overrideComment"]!);

        // Regrade Alice's first submission: a new run, graded again, still hers.
        var regrade = await instructor.PostAsync($"/api/submissions/{first["id"]}/regrade", null);
        Assert.Equal(HttpStatusCode.Accepted, regrade.StatusCode);
        var newRun = (string)(await regrade.Content.ReadFromJsonAsync<JsonObject>())!["runId"]!;
        Assert.NotEqual((string)first["runId"]!, newRun);
        Assert.Equal(10.0, (double)(await GradedAsync(alice, (string)first["id"]!))["score"]!);
        Assert.Equal(aliceId, (string)(await alice.GetJsonAsync($"/api/runs/{newRun}"))["owner"]!["id"]!);

        // The gradebook: staff see both students; a student only their row.
        var book = await instructor.GetJsonAsync("/api/gradebook");
        var column = book["assignments"]!.AsArray().Select(a => (string)a!["id"]!).ToList().IndexOf(id);
        Assert.True(column >= 0);
        var rows = book["students"]!.AsArray();
        var aliceRow = rows.Single(r => (string)r!["studentId"]! == aliceId)!;
        Assert.Equal(10.0, (double)aliceRow["cells"]![column]!["score"]!);
        Assert.NotNull(aliceRow["cells"]![column]!["runId"]);
        var bobCell = rows.Single(r => (string)r!["studentId"]! == bobId)!["cells"]![column]!;
        Assert.Equal(7.5, (double)bobCell["score"]!);
        Assert.True((bool)bobCell["overridden"]!);
        var own = await alice.GetJsonAsync("/api/gradebook");
        Assert.Equal(aliceId, (string)own["students"]!.AsArray().Single()!["studentId"]!);

        // CSV parsed back: header email,name,<titles>,total; Alice's row has her score.
        var csv = await instructor.GetAsync("/api/gradebook.csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = ParseCsv(await csv.Content.ReadAsStringAsync());
        Assert.Equal(["email", "name"], lines[0][..2]);
        Assert.Equal("total", lines[0][^1]);
        var titleColumn = Array.IndexOf(lines[0], (string)assignment["title"]!);
        var aliceEmail = (string)(await alice.GetJsonAsync("/api/me"))["email"]!;
        var aliceLine = lines.Single(l => l[0] == aliceEmail);
        Assert.Equal("10", aliceLine[titleColumn]);
        var bobEmail = (string)(await bob.GetJsonAsync("/api/me"))["email"]!;
        Assert.Equal("7.5", lines.Single(l => l[0] == bobEmail)[titleColumn]);
    }

    [Fact]
    public async Task Late_work_loses_the_penalty_and_a_closed_assignment_refuses_it()
    {
        var (_, studentKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var student = Client.As(studentKey);
        var late = (await (await Client.PostAsJsonAsync("/api/assignments", Assignment("Late " + Guid.NewGuid().ToString("N")[..6], DateTimeOffset.UtcNow.AddHours(-1), penalty: 20))).Content.ReadFromJsonAsync<JsonObject>())!;
        var closed = (await (await Client.PostAsJsonAsync("/api/assignments", Assignment("Closed " + Guid.NewGuid().ToString("N")[..6], DateTimeOffset.UtcNow.AddHours(-1), acceptLate: false))).Content.ReadFromJsonAsync<JsonObject>())!;
        var server = (await (await student.PostAsJsonAsync("/api/servers", new { lab = "http", port = 0 })).Content.ReadFromJsonAsync<JsonObject>())!;
        var target = new { host = "127.0.0.1", port = (int)server["port"]! };

        var submitted = (await (await student.PostAsJsonAsync($"/api/assignments/{late["id"]}/submissions", new { target })).Content.ReadFromJsonAsync<JsonObject>())!;
        var graded = await GradedAsync(student, (string)submitted["id"]!);
        Assert.True((bool)graded["late"]!);
        Assert.Equal(8.0, (double)graded["score"]!); // 10 points less 20 %

        var refused = await student.PostAsJsonAsync($"/api/assignments/{closed["id"]}/submissions", new { target });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("no late submissions", await refused.Content.ReadAsStringAsync());

        // Unknown assignment: 404; a student-server assignment starts no server: 400.
        Assert.Equal(HttpStatusCode.NotFound, (await student.PostAsJsonAsync($"/api/assignments/{Guid.NewGuid()}/submissions", new { target })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await student.PostAsync($"/api/assignments/{late["id"]}/servers", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/assignments/{closed["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/assignments/{closed["id"]}")).StatusCode);
    }

    [Fact]
    public async Task A_client_assignment_grades_the_session_the_students_netlab_server_stored_and_only_the_students_own()
    {
        var (_, aliceKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        var (_, bobKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var alice = Client.As(aliceKey);
        using var bob = Client.As(bobKey);
        var assignment = (await (await Client.PostAsJsonAsync("/api/assignments", new
        {
            title = "Ping client " + Guid.NewGuid().ToString("N")[..6], lab = "udp-ping", grader = "udp-ping-client-grade", target = "student-client",
            options = new { timeoutMs = 1000 }, serverOptions = new { lossRate = 0.3, seed = 3 }, points = 5, dueAt = DateTimeOffset.UtcNow.AddDays(1),
        })).Content.ReadFromJsonAsync<JsonObject>())!;
        var id = (string)assignment["id"]!;

        var started = await alice.PostAsync($"/api/assignments/{id}/servers", null);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var server = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
        // Alice's "client" is the portal's own ping probe, which speaks the handout's format with a 1 s timeout.
        var run = await alice.StartRunAsync((int)server["port"]!, new { count = 10, timeoutMs = 1000 });
        await alice.WaitForRunAsync((string)run["id"]!);

        // Bob cannot submit Alice's server as his.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsJsonAsync($"/api/assignments/{id}/submissions", new { serverId = server["id"] })).StatusCode);
        var submitted = await alice.PostAsJsonAsync($"/api/assignments/{id}/submissions", new { serverId = server["id"] });
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var graded = await GradedAsync(alice, (string)(await submitted.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        Assert.True((string)graded["status"]! == "Graded", graded.ToJsonString());
        Assert.True(5.0 == (double)graded["score"]!, graded["checks"]!.ToJsonString());

        // After the server stopped, a regrade reads the stored session.
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/servers/{server["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync($"/api/submissions/{graded["id"]}/regrade", null)).StatusCode);
        Assert.Equal(5.0, (double)(await GradedAsync(alice, (string)graded["id"]!))["score"]!);
    }

    private static Task<JsonObject> GradedAsync(HttpClient client, string submissionId) =>
        Eventually.UntilAsync(() => client.GetJsonAsync($"/api/submissions/{submissionId}"), s => (string)s["status"]! != "Grading",
            $"submission {submissionId} to be graded", TimeSpan.FromSeconds(60));

    /// <summary>RFC 4180: quoted fields with doubled quotes, CRLF rows.</summary>
    private static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\r') { }
            else if (c == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add([.. row]); row.Clear(); }
            else field.Append(c);
        }
        return rows;
    }
}
