"""Reading pip's output: turning relayed bytes into lines, and what consumes those lines."""
