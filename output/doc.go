// Package output holds what generators write into: a file, the Sink that
// takes files one at a time, and the Writer that puts them on disk, all or
// nothing. Generators stay pure: they hand files to a Sink and never touch
// the file system themselves.
package output
