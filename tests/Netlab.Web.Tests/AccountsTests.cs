using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Netlab.Web.Tests;

/// <summary>Accounts, roles and ownership through the real HTTP API, each caller with their own key.</summary>
public sealed partial class AccountsTests(SharedPortal portal) : PortalTest(portal)
{
    [Fact]
    public async Task Without_a_valid_key_the_api_answers_401_with_what_to_do_and_healthz_stays_open()
    {
        using var anonymous = Client.As(null);
        foreach (var url in new[] { "/api/runs", "/api/servers", "/api/labs", "/api/me", "/api/users", "/api/ftp/consoles/" + Guid.NewGuid() })
        {
            var response = await anonymous.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{url}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("X-Api-Key", (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/runs", new { probe = "udp-ping" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);

        using var forged = Client.As("nlk_not-a-key-anyone-was-ever-given");
        var refused = await forged.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("not valid", (string)(await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!);

        // The key also works as a bearer token.
        using var bearer = Client.As(null);
        bearer.DefaultRequestHeaders.Authorization = new("Bearer", TestAccounts.AdminKey);
        Assert.Equal("Admin", (string)(await bearer.GetJsonAsync("/api/me"))["role"]!);
    }

    [Fact]
    public async Task Roles_decide_who_creates_whom_and_students_cannot_manage_users()
    {
        var (_, instructorKey) = await TestAccounts.CreateUserAsync(Client, "Instructor");
        var (studentId, studentKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var instructor = Client.As(instructorKey);
        using var student = Client.As(studentKey);

        Assert.Equal("Student", (string)(await student.GetJsonAsync("/api/me"))["role"]!);
        Assert.Equal(HttpStatusCode.Forbidden, (await student.GetAsync("/api/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await student.PostAsJsonAsync("/api/users", new { email = Unique("s"), name = "S", role = "Student" })).StatusCode);

        var created = await instructor.PostAsJsonAsync("/api/users", new { email = Unique("new"), name = "New Student", role = "student" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Student", (string)body["role"]!);
        // No password given: the portal chose one and shows it this once.
        Assert.Equal(16, ((string)body["temporaryPassword"]!).Length);
        Assert.Null((await instructor.GetJsonAsync($"/api/users/{body["id"]}"))["temporaryPassword"]);

        var staff = await instructor.PostAsJsonAsync("/api/users", new { email = Unique("i"), name = "I", role = "Instructor" });
        Assert.Equal(HttpStatusCode.Forbidden, staff.StatusCode);
        Assert.Contains("Only an admin", await staff.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Created, (await Client.PostAsJsonAsync("/api/users", new { email = Unique("i"), name = "I", role = "Instructor" })).StatusCode);

        var invalid = await Client.PostAsJsonAsync("/api/users", new { email = "not an address", name = "", role = "Wizard" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = (await invalid.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("email") && errors.ContainsKey("name") && errors.ContainsKey("role"), errors.ToJsonString());

        Assert.Equal(HttpStatusCode.Forbidden, (await instructor.PostAsJsonAsync($"/api/users/{(string)(await Client.GetJsonAsync("/api/me"))["id"]!}/api-keys", new { name = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await instructor.PostAsJsonAsync($"/api/users/{studentId}/api-keys", new { name = "for the lab" })).StatusCode);
        Assert.Contains((await instructor.GetFromJsonAsync<JsonArray>("/api/users"))!, u => (string)u!["id"]! == studentId);
    }

    [Fact]
    public async Task A_students_runs_do_not_exist_for_another_student_and_the_instructor_sees_them_with_the_owner()
    {
        var (aliceId, aliceKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        var (_, bobKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        var (_, instructorKey) = await TestAccounts.CreateUserAsync(Client, "Instructor");
        using var alice = Client.As(aliceKey);
        using var bob = Client.As(bobKey);
        using var instructor = Client.As(instructorKey);
        var server = await Client.StartServerAsync();

        var run = await alice.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 50 });
        var id = (string)run["id"]!;
        Assert.Equal(aliceId, (string)run["owner"]!["id"]!);

        foreach (var url in new[] { $"/api/runs/{id}", $"/api/runs/{id}/events", $"/api/runs/{id}/events/stream" })
            Assert.True((await bob.GetAsync(url)).StatusCode == HttpStatusCode.NotFound, url);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        Assert.DoesNotContain((await bob.GetFromJsonAsync<JsonArray>("/api/runs?limit=1000"))!, r => (string)r!["id"]! == id);

        Assert.Contains((await alice.GetFromJsonAsync<JsonArray>("/api/runs?limit=1000"))!, r => (string)r!["id"]! == id);
        var seen = (await instructor.GetFromJsonAsync<JsonArray>($"/api/runs?owner={aliceId}"))!;
        Assert.Equal([id], seen.Select(r => (string)r!["id"]!));
        Assert.StartsWith("Student", (string)seen[0]!["owner"]!["name"]!);

        // The instructor may stop it; it was Alice's run all along.
        Assert.Equal(HttpStatusCode.Accepted, (await instructor.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        Assert.Equal("Cancelled", (string)(await alice.WaitForRunAsync(id))["status"]!);
    }

    [Fact]
    public async Task A_deleted_users_runs_stay_marked_with_the_former_owner()
    {
        var (id, key) = await TestAccounts.CreateUserAsync(Client, "Student");
        var server = await Client.StartServerAsync();
        using var student = Client.As(key);
        var run = (string)(await student.StartRunAsync((int)server["port"]!, new { count = 1 }))["id"]!;
        await Client.WaitForRunAsync(run);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/users/{id}")).StatusCode);

        var kept = await Client.GetJsonAsync($"/api/runs/{run}");
        Assert.Null(kept["owner"]!["id"]);
        Assert.EndsWith("(deleted)", (string)kept["owner"]!["name"]!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await student.GetAsync("/api/me")).StatusCode); // and their keys went with them
        Assert.Equal(HttpStatusCode.NotFound, (await Client.DeleteAsync($"/api/users/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_key_is_shown_once_listed_without_its_secret_and_revoking_it_takes_effect_at_once()
    {
        var (_, key) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var student = Client.As(key);
        var response = await student.PostAsJsonAsync("/api/me/api-keys", new { name = "laptop" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var secret = (string)created["key"]!;
        Assert.StartsWith("nlk_", secret);

        using var laptop = Client.As(secret);
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/api/me")).StatusCode);
        var listed = await student.GetStringAsync("/api/me/api-keys");
        Assert.Contains("laptop", listed);
        Assert.DoesNotContain(secret, listed);
        Assert.DoesNotContain(secret[10..], listed);

        Assert.Equal(HttpStatusCode.NoContent, (await student.DeleteAsync($"/api/me/api-keys/{created["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await laptop.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await student.GetAsync("/api/me")).StatusCode); // the other key still works
        Assert.Equal(HttpStatusCode.BadRequest, (await student.PostAsJsonAsync("/api/me/api-keys", new { name = "" })).StatusCode);
    }

    [Fact]
    public async Task A_roster_import_reports_every_line_created_existing_or_why_not()
    {
        var (_, instructorKey) = await TestAccounts.CreateUserAsync(Client, "Instructor");
        using var instructor = Client.As(instructorKey);
        var ada = Unique("ada");
        var grace = Unique("grace");
        var csv = $"""
            email,name,role
            {ada},"Lovelace, Ada",Student
            {grace},Grace Hopper
            not-an-address,Nobody,Student
            {Unique("x")},Xavier,Wizard
            {Unique("t")},Teacher,Instructor
            {ada},Ada again,Student
            just-one-field
            """;
        var response = await instructor.PostAsync("/api/users/import", new StringContent(csv, System.Text.Encoding.UTF8, "text/csv"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var lines = (await response.Content.ReadFromJsonAsync<JsonArray>())!;
        Assert.Equal(["created", "created", "error", "error", "error", "exists", "error"], lines.Select(l => (string)l!["outcome"]!));
        Assert.Equal([2, 3, 4, 5, 6, 7, 8], lines.Select(l => (int)l!["line"]!));
        Assert.Equal("Lovelace, Ada", (string)lines[0]!["user"]!["name"]!);
        Assert.Contains("email", (string)lines[2]!["error"]!);
        Assert.Contains("role must be one of", (string)lines[3]!["error"]!);
        Assert.Contains("Only an admin", (string)lines[4]!["error"]!);
        Assert.Contains("expected email,name,role", (string)lines[6]!["error"]!);

        using var form = new MultipartFormDataContent { { new StringContent($"{Unique("form")},Form Student"), "roster", "class.csv" } };
        var imported = await instructor.PostAsync("/api/users/import", form);
        Assert.True(imported.StatusCode == HttpStatusCode.OK, await imported.Content.ReadAsStringAsync());
        var fromFile = (await imported.Content.ReadFromJsonAsync<JsonArray>())!;
        Assert.Equal("created", (string)fromFile.Single()!["outcome"]!);
    }

    [Fact]
    public async Task Past_the_per_user_limit_of_running_probes_the_api_answers_429_and_says_the_limit()
    {
        var (_, key) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var student = Client.As(key);
        var server = await Client.StartServerAsync();
        for (var i = 0; i < 10; i++)
            await student.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 1000 });

        var refused = await student.PostAsJsonAsync("/api/runs", new { probe = "udp-ping", target = new { host = "127.0.0.1", port = (int)server["port"]! }, options = new { count = 1 } });
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(10, (int)problem["limit"]!);
        Assert.Contains("10 runs in progress", (string)problem["detail"]!);
        // Another user is not affected by this one's runs.
        await Client.StartRunAsync((int)server["port"]!, new { count = 1 });
    }

    [Fact]
    public async Task A_browser_signed_in_with_a_cookie_may_call_the_api_from_the_portals_pages_only()
    {
        var (_, _) = await TestAccounts.CreateUserAsync(Client, "Student", email: Unique("cookie"), password: "cookie-password-1");
        var email = (string)(await Client.GetFromJsonAsync<JsonArray>("/api/users"))!.Last(u => ((string)u!["email"]!).StartsWith("cookie-"))!["email"]!;
        using var handler = new HttpClientHandler { CookieContainer = new(), AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = Client.BaseAddress };

        // The sign-in page is a form with an antiforgery token, as a browser gets it.
        var page = await browser.GetStringAsync("/account/login");
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        var signIn = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["_handler"] = "login", ["Input.Email"] = email, ["Input.Password"] = "cookie-password-1",
        }));
        Assert.True(signIn.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther, $"sign-in: {signIn.StatusCode}");

        Assert.Equal(email, (string)(await browser.GetJsonAsync("/api/me"))["email"]!);
        var run = Guid.NewGuid();
        // A page on another site, or a request that does not say where it comes from, may not change anything with the cookie.
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(browser, HttpMethod.Post, $"/api/runs/{run}/cancel", origin: "http://evil.example")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(browser, HttpMethod.Post, $"/api/runs/{run}/cancel", origin: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(browser, HttpMethod.Get, "/api/me", origin: "http://evil.example")).StatusCode);
        // The portal's own origin passes (and finds no such run).
        var own = Client.BaseAddress!.GetLeftPart(UriPartial.Authority);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(browser, HttpMethod.Post, $"/api/runs/{run}/cancel", origin: own)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(browser, HttpMethod.Post, $"/api/runs/{run}/cancel", origin: null, site: "same-origin")).StatusCode);

        // Wrong password: the form says so and no cookie is set.
        using var other = new HttpClient(new HttpClientHandler { CookieContainer = new(), AllowAutoRedirect = false }) { BaseAddress = Client.BaseAddress };
        var again = await other.GetStringAsync("/account/login");
        var wrong = await other.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryField().Match(again).Groups[1].Value, ["_handler"] = "login", ["Input.Email"] = email, ["Input.Password"] = "wrong",
        }));
        Assert.Contains("Wrong e-mail or password", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task Another_students_ftp_console_does_not_exist_for_them()
    {
        var (_, aliceKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        var (_, bobKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var alice = Client.As(aliceKey);
        using var bob = Client.As(bobKey);
        var created = await alice.PostAsync("/api/ftp/consoles", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/ftp/consoles/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/ftp/consoles/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsJsonAsync($"/api/ftp/consoles/{id}/commands", new { line = "pwd" })).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await bob.DeleteAsync($"/api/ftp/consoles/{id}")).StatusCode);
        }
        finally
        {
            await alice.DeleteAsync($"/api/ftp/consoles/{id}");
        }
    }

    [Fact]
    public async Task A_students_server_its_events_and_mailbox_do_not_exist_for_another_student_and_staff_see_its_owner()
    {
        var (aliceId, aliceKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        var (_, bobKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        var (_, instructorKey) = await TestAccounts.CreateUserAsync(Client, "Instructor");
        using var alice = Client.As(aliceKey);
        using var bob = Client.As(bobKey);
        using var instructor = Client.As(instructorKey);

        var started = await alice.PostAsJsonAsync("/api/servers", new { lab = "smtp", port = 0, options = new { startTls = false } });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var server = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = (string)server["id"]!;
        Assert.Equal(aliceId, (string)server["ownerId"]!);

        foreach (var url in new[] { $"/api/servers/{id}", $"/api/servers/{id}/events", $"/api/servers/{id}/events/stream", $"/api/servers/{id}/mailbox", $"/api/servers/{id}/faults" })
            Assert.True((await bob.GetAsync(url)).StatusCode == HttpStatusCode.NotFound, url);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.DeleteAsync($"/api/servers/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.DeleteAsync($"/api/servers/{id}/mailbox")).StatusCode);
        Assert.DoesNotContain((await bob.GetFromJsonAsync<JsonArray>("/api/servers"))!, s => (string)s!["id"]! == id);
        Assert.DoesNotContain((await bob.GetFromJsonAsync<JsonArray>("/api/servers?all=true"))!, s => (string)s!["id"]! == id);

        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/servers/{id}/mailbox")).StatusCode);
        var listed = (await instructor.GetFromJsonAsync<JsonArray>($"/api/servers?owner={aliceId}"))!;
        Assert.Equal([id], listed.Select(s => (string)s!["id"]!));
        Assert.StartsWith("Student", (string)listed[0]!["ownerName"]!);

        // The instructor may stop it; afterwards it is still Alice's, and still nobody else's.
        Assert.Equal(HttpStatusCode.NoContent, (await instructor.DeleteAsync($"/api/servers/{id}")).StatusCode);
        Assert.Equal("Stopped", (string)(await alice.GetJsonAsync($"/api/servers/{id}"))["state"]!);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/servers/{id}/mailbox")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/servers/{id}/mailbox")).StatusCode);
    }

    [Fact]
    public async Task Past_the_per_user_limit_of_running_servers_the_api_answers_429()
    {
        var (_, key) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var student = Client.As(key);
        for (var i = 0; i < 5; i++)
            await student.StartServerAsync();
        var refused = await student.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port = 0 });
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Contains("5 lab servers running", await refused.Content.ReadAsStringAsync());
        foreach (var server in (await student.GetFromJsonAsync<JsonArray>("/api/servers"))!)
            Assert.Equal(HttpStatusCode.NoContent, (await student.DeleteAsync($"/api/servers/{server!["id"]}")).StatusCode);
        await student.StartServerAsync(); // room again
    }

    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}@netlab.test";

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, string? origin, string? site = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (site is not null) request.Headers.Add("Sec-Fetch-Site", site);
        return client.SendAsync(request);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
