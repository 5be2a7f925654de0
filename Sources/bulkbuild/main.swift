#if canImport(Glibc)
import Glibc
#endif

// Subcommands come first; anything else is a build with dpb's options.
let arguments = Array(CommandLine.arguments.dropFirst())
let status: Int32
switch arguments.first {
case "monitor": status = runMonitorCommand(Array(arguments.dropFirst()))
case "hosts": status = runHostsCommand(Array(arguments.dropFirst()))
case "report": status = runReportCommand(Array(arguments.dropFirst()))
case "simulate": status = runSimulateCommand(Array(arguments.dropFirst()))
case "agent": status = runAgentCommand(Array(arguments.dropFirst()))
case "supervise": status = runSuperviseCommand(Array(arguments.dropFirst()))
default: status = runBuildCommand(arguments)
}
exit(status)
