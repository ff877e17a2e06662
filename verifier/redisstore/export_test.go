package redisstore

// AlwaysPipeline sends every command of s through its auto-pipeliner,
// lone ones included, so that the tests can run that path serially.
func AlwaysPipeline(s *Store) { s.directMax = 0 }
