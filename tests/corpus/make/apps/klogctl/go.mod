module example.com/klogctl

go 1.19
