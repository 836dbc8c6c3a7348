using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Netlab.Web.Tests;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>Two students in two browsers, and their instructor in a third.</summary>
public partial class OwnershipPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Two_students_each_start_a_udp_ping_server_neither_sees_or_stops_the_others_and_the_instructor_sees_both()
    {
        var alice = await AccountAsync("Student", "Alice");
        var bob = await AccountAsync("Student", "Bob");
        var teacher = await AccountAsync("Instructor", "Teacher");
        var contexts = new List<IBrowserContext>();
        try
        {
            async Task<IPage> BrowserOfAsync((string Email, string Password) who)
            {
                var state = await Chromium.SignedInStateAsync(Fixture.Browser, Fixture.BaseAddress, who.Email, who.Password);
                var context = await Chromium.NewContextAsync(Fixture.Browser, Fixture.BaseAddress, state);
                contexts.Add(context);
                return await context.NewPageAsync();
            }
            var alicePage = await BrowserOfAsync(alice);
            var bobPage = await BrowserOfAsync(bob);

            await alicePage.GotoAsync("/labs/udp-ping");
            var alicePort = await StartServerOnAsync(alicePage);
            // Bob's page does not pick up Alice's running server: he has none yet.
            await bobPage.GotoAsync("/labs/udp-ping");
            await Expect(bobPage.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
            var bobPort = await StartServerOnAsync(bobPage);
            Assert.NotEqual(alicePort, bobPort);

            // Bob stops his: Alice's keeps running, and her page still shows hers.
            await bobPage.GetByTestId("server-stop").ClickAsync();
            await Expect(bobPage.GetByTestId("server-state")).ToHaveTextAsync("Stopped");
            await Expect(alicePage.GetByTestId("server-state")).ToContainTextAsync($"Running on 127.0.0.1:{alicePort}");

            // Bob's Servers page lists only his own; Alice's server page does not exist for him.
            var aliceServer = (await Api.GetFromJsonAsync<JsonArray>("/api/servers?lab=udp-ping"))!
                .Single(s => (int)s!["port"]! == alicePort)!;
            await bobPage.GotoAsync("/servers");
            await Expect(bobPage.GetByTestId("servers-table")).ToContainTextAsync($":{bobPort}");
            await Expect(bobPage.GetByTestId("servers-table")).Not.ToContainTextAsync($":{alicePort}");
            await bobPage.GotoAsync($"/servers/{aliceServer["id"]}");
            await Expect(bobPage.GetByTestId("server-missing")).ToBeVisibleAsync();

            // The instructor sees both, with their owners.
            var teacherPage = await BrowserOfAsync(teacher);
            await teacherPage.GotoAsync("/servers?lab=udp-ping");
            var table = teacherPage.GetByTestId("servers-table");
            await Expect(table.Locator("tr", new() { HasText = $":{alicePort}" })).ToContainTextAsync("Alice");
            await Expect(table.Locator("tr", new() { HasText = $":{bobPort}" })).ToContainTextAsync("Bob");
        }
        finally
        {
            foreach (var context in contexts)
            {
                foreach (var page in context.Pages)
                    await page.GotoAsync("about:blank");
                await context.CloseAsync();
            }
        }
    }

    private async Task<(string Email, string Password)> AccountAsync(string role, string name)
    {
        var email = $"{name.ToLowerInvariant()}-{Guid.NewGuid():N}@netlab.test";
        var created = await Api.PostAsJsonAsync("/api/users", new { email, name = $"{name} {role}", role, password = "browser-password-1" });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        return (email, "browser-password-1");
    }

    private static async Task<int> StartServerOnAsync(IPage page)
    {
        await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-stop")).ToBeEnabledAsync();
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync(RunningOn());
        return int.Parse(RunningOn().Match((await page.GetByTestId("server-state").TextContentAsync())!).Groups[1].Value);
    }

    [GeneratedRegex(@"Running on 127\.0\.0\.1:(\d+)")]
    private static partial Regex RunningOn();
}
